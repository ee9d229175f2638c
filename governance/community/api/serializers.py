from rest_framework import serializers

from ..models import Collection, CollectionItem, Comment, Favorite, Follow, Report, Review


class CommunityReviewSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "user",
            "model",
            "version",
            "rating",
            "text",
            "status",
            "sentiment",
            "helpful_count",
            "unhelpful_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReviewWriteSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version reviewed (one review per version).")
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class ReviewRevisionSerializer(serializers.Serializer):
    rating = serializers.IntegerField()
    text = serializers.CharField()
    written_at = serializers.DateTimeField()
    replaced_at = serializers.DateTimeField()


class VoteSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(allow_null=True, help_text="null takes the vote back.")


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["id", "review", "comment", "reason", "status", "resolution", "created_at"]
        read_only_fields = ["id", "review", "comment", "status", "resolution", "created_at"]


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    model = serializers.IntegerField(source="model_id")
    parent = serializers.IntegerField(source="parent_id", required=False, allow_null=True)
    text = serializers.CharField(max_length=10_000)

    class Meta:
        model = Comment
        fields = ["id", "model", "parent", "author", "text", "status", "created_at"]
        read_only_fields = ["id", "author", "status", "created_at"]


class FavoriteSerializer(serializers.ModelSerializer):
    model = serializers.IntegerField(source="model_id")
    model_name = serializers.CharField(source="model.name", read_only=True)

    class Meta:
        model = Favorite
        fields = ["model", "model_name", "created_at"]
        read_only_fields = ["model_name", "created_at"]


class FollowSerializer(serializers.ModelSerializer):
    creator = serializers.CharField(source="creator.username", required=False, allow_null=True)
    tag = serializers.CharField(source="tag.name", required=False, allow_null=True)
    model = serializers.IntegerField(source="model_id", required=False, allow_null=True)

    class Meta:
        model = Follow
        fields = ["id", "creator", "model", "tag", "created_at"]
        read_only_fields = ["id", "created_at"]


class CollectionItemSerializer(serializers.ModelSerializer):
    model = serializers.IntegerField(source="model_id")
    model_name = serializers.CharField(source="model.name", read_only=True)
    version = serializers.IntegerField(source="version_id", required=False, allow_null=True)
    position = serializers.IntegerField(required=False, min_value=0)

    class Meta:
        model = CollectionItem
        fields = ["id", "model", "model_name", "version", "position", "note", "added_at"]
        read_only_fields = ["id", "model_name", "added_at"]


class CollectionSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team = serializers.CharField(source="team.slug", required=False, allow_null=True)
    share_token = serializers.SerializerMethodField()

    class Meta:
        model = Collection
        fields = [
            "id",
            "name",
            "description",
            "visibility",
            "team",
            "owner",
            "share_token",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "share_token", "created_at", "updated_at"]

    def get_share_token(self, obj: Collection) -> str | None:
        """Only the owner sees the link's token (others reached it already)."""
        request = self.context.get("request")
        return obj.share_token if request and request.user.pk == obj.owner_id else None


class ModerationDecisionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=["review", "comment"])
    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["hide", "restore"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
