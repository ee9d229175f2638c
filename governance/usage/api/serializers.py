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
