from rest_framework import serializers

from ..models import GateRun


class GateRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateRun
        fields = ["id", "version", "request", "outcome", "items", "created_at"]


class GateReportSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=GateRun.Outcome.choices)
    items = serializers.ListField(child=serializers.DictField())
