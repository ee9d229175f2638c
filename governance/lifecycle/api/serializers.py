from rest_framework import serializers

from governance.catalog.models import ModelVersion


class DeprecateSerializer(serializers.Serializer):
    reason = serializers.CharField()
    successor = serializers.PrimaryKeyRelatedField(
        queryset=ModelVersion.objects.all(), required=False, allow_null=True
    )
    sunset_at = serializers.DateTimeField(required=False, allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
