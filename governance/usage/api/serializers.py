from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import UsageEvent


class UsageEventSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    model = serializers.IntegerField(source="version.model_id", read_only=True)

    class Meta:
        model = UsageEvent
        fields = [
            "id",
            "kind",
            "user",
            "team",
            "model",
            "version",
            "file",
            "client",
            "metadata",
            "created_at",
        ]


class SeriesPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    download = serializers.IntegerField()
    deployment = serializers.IntegerField()
    api_read = serializers.IntegerField()
    portal_view = serializers.IntegerField()


class GroupCountSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Model id, base model, type or team slug.")
    name = serializers.CharField()
    downloads = serializers.IntegerField()
    deployments = serializers.IntegerField()
    total = serializers.IntegerField()


def _groups(rows, key: str, name: str | None = None) -> list[dict]:
    return [
        {
            "key": str(r[key]),
            "name": str(r[name] if name else r[key]),
            "downloads": r["downloads"] or 0,
            "deployments": r["deployments"] or 0,
            "total": r["total"] or 0,
        }
        for r in rows
    ]


class AnalyticsSerializer(serializers.Serializer):
    scope = serializers.SerializerMethodField()
    start = serializers.DateField()
    end = serializers.DateField()
    series = SeriesPointSerializer(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())
    active_users = serializers.IntegerField()
    top_models = serializers.SerializerMethodField()
    by_base_model = serializers.SerializerMethodField()
    by_type = serializers.SerializerMethodField()
    top_teams = serializers.SerializerMethodField()

    def get_scope(self, obj) -> str:
        return obj.scope.label

    @extend_schema_field(GroupCountSerializer(many=True))
    def get_top_models(self, obj) -> list[dict]:
        return _groups(obj.top_models, "model_id", "model__name")

    @extend_schema_field(GroupCountSerializer(many=True))
    def get_by_base_model(self, obj) -> list[dict]:
        return _groups(obj.by_base_model, "base_model")

    @extend_schema_field(GroupCountSerializer(many=True))
    def get_by_type(self, obj) -> list[dict]:
        return _groups(obj.by_type, "model_type")

    @extend_schema_field(GroupCountSerializer(many=True))
    def get_top_teams(self, obj) -> list[dict]:
        return _groups(obj.top_teams, "team__slug", "team__name")


class TeamUseSerializer(serializers.Serializer):
    team = serializers.CharField(source="team.slug", allow_null=True, default=None)
    downloads = serializers.IntegerField()
    deployments = serializers.IntegerField()
    people = serializers.IntegerField()
    last_used_at = serializers.DateTimeField()


class WhoUsesSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="version.pk")
    last_used_at = serializers.DateTimeField(allow_null=True)
    teams = TeamUseSerializer(many=True)
    deployments = UsageEventSerializer(many=True)
    approved_teams = serializers.SerializerMethodField()

    def get_approved_teams(self, obj) -> list[str]:
        return [team.slug for team in obj.approved_teams]
