from rest_framework import serializers

from ..models import Creator, Image, Model, ModelFile, ModelVersion, Tag, VersionScore


class CreatorSerializer(serializers.ModelSerializer):
    model_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Creator
        fields = ["id", "username", "image_url", "link", "hub", "model_count"]


class TagSerializer(serializers.ModelSerializer):
    model_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Tag
        fields = ["id", "name", "model_count"]


class ImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Image
        fields = [
            "id",
            "external_id",
            "url",
            "type",
            "nsfw_level",
            "width",
            "height",
            "blurhash",
            "meta",
            "has_meta",
        ]


class ModelFileSerializer(serializers.ModelSerializer):
    hashes = serializers.DictField(child=serializers.CharField(), read_only=True)
    size_bytes = serializers.IntegerField(read_only=True)
    stored = serializers.SerializerMethodField(help_text="Whether Hubgate holds the bytes.")
    scan_verdict = serializers.CharField(
        source="blob.current_scan.verdict",
        default=None,
        read_only=True,
        allow_null=True,
        help_text="Hubgate's own scan: pending, clean, flagged, quarantined or error.",
    )

    def get_stored(self, obj: ModelFile) -> bool:
        return obj.blob_id is not None

    class Meta:
        model = ModelFile
        fields = [
            "id",
            "version",
            "external_id",
            "name",
            "type",
            "size_kb",
            "size_bytes",
            "primary",
            "format",
            "fp",
            "size_variant",
            "hashes",
            "pickle_scan_result",
            "pickle_scan_message",
            "virus_scan_result",
            "virus_scan_message",
            "scanned_at",
            "stored",
            "scan_verdict",
        ]


class VersionScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = VersionScore
        fields = ["plugin", "name", "value", "explanation", "error", "computed_at"]


class ModelVersionSerializer(serializers.ModelSerializer):
    files = ModelFileSerializer(many=True, read_only=True)
    images = ImageSerializer(many=True, read_only=True)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "state",
            "hub",
            "external_id",
            "name",
            "description",
            "index",
            "base_model",
            "base_model_type",
            "trained_words",
            "nsfw_level",
            "status",
            "availability",
            "early_access_time_frame",
            "early_access_ends_at",
            "published_at",
            "hub_created_at",
            "hub_updated_at",
            "download_count",
            "rating",
            "rating_count",
            "thumbs_up_count",
            "thumbs_down_count",
            "files",
            "images",
        ]


class ModelVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ["id", "name", "state", "base_model", "published_at", "download_count"]


class _ModelBase(serializers.ModelSerializer):
    creator = serializers.SlugRelatedField(slug_field="username", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    allow_commercial_use = serializers.ListField(child=serializers.CharField(), read_only=True)
    owning_team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Model
        fields = [
            "id",
            "hub",
            "external_id",
            "source_url",
            "name",
            "type",
            "creator",
            "owning_team",
            "tags",
            "nsfw",
            "nsfw_level",
            "poi",
            "mode",
            "allow_no_credit",
            "allow_commercial_use",
            "allow_derivatives",
            "allow_different_license",
            "download_count",
            "favorite_count",
            "comment_count",
            "rating",
            "rating_count",
            "thumbs_up_count",
            "thumbs_down_count",
            "created_at",
            "updated_at",
            "last_synced_at",
        ]


class ModelListSerializer(_ModelBase):
    versions = ModelVersionSummarySerializer(many=True, read_only=True)

    class Meta(_ModelBase.Meta):
        fields = [*_ModelBase.Meta.fields, "versions"]


class ModelDetailSerializer(_ModelBase):
    versions = ModelVersionSerializer(many=True, read_only=True)

    class Meta(_ModelBase.Meta):
        fields = [*_ModelBase.Meta.fields, "description", "versions"]


class RecommendationSerializer(serializers.Serializer):
    model = ModelListSerializer(read_only=True)
    score = serializers.FloatField(min_value=0, max_value=1)
    reason = serializers.CharField()


class SimilarQuerySerializer(serializers.Serializer):
    """The query string of ``/api/models/{id}/similar/``."""

    limit = serializers.IntegerField(min_value=1, max_value=50, default=6)
