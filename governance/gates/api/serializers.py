from rest_framework import serializers

from ..models import GateRun


class GateRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateRun
        fields = ["id", "version", "request", "outcome", "items", "created_at"]
