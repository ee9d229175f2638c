"""Shapes of the recommendations, quality and compatibility endpoints."""

from rest_framework import serializers

from governance.catalog.api.serializers import ModelListSerializer, RecommendationSerializer

from ..compatibility import ADDON_TYPES

__all__ = [
    "CompatibilityCheckSerializer",
    "CompatibilityQuerySerializer",
    "CompatibleQuerySerializer",
    "LimitSerializer",
    "QualitySerializer",
    "RecommendationSerializer",
]

ADDON_TYPE_CHOICES = sorted(ADDON_TYPES)


class LimitSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=6)


class CompatibleQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)
    type = serializers.ListField(
        child=serializers.ChoiceField(choices=ADDON_TYPE_CHOICES),
        required=False,
        help_text="Add-on types to list (repeatable); default: every add-on type.",
    )


class CompatibilityQuerySerializer(serializers.Serializer):
    addon = serializers.IntegerField(min_value=1, help_text="The add-on model's id.")
    checkpoint = serializers.IntegerField(min_value=1, help_text="The checkpoint model's id.")


class CompatibilityCheckSerializer(serializers.Serializer):
    addon = ModelListSerializer(read_only=True)
    checkpoint = ModelListSerializer(read_only=True)
    compatible = serializers.BooleanField(
        allow_null=True, help_text="null when Hubgate cannot tell (unknown base model)."
    )
    level = serializers.ChoiceField(
        choices=["exact", "family", "universal", "incompatible", "unknown"]
    )
    reason = serializers.CharField()
    addon_families = serializers.ListField(child=serializers.CharField())
    checkpoint_families = serializers.ListField(child=serializers.CharField())


class QualityPartSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.FloatField(min_value=0, max_value=1)
    weight = serializers.FloatField(min_value=0)
    explanation = serializers.CharField(allow_blank=True)


class QualitySerializer(serializers.Serializer):
    version_id = serializers.IntegerField()
    value = serializers.FloatField(min_value=0, max_value=1, allow_null=True)
    explanation = serializers.CharField()
    parts = QualityPartSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())
    context = QualityPartSerializer(many=True, help_text="Scores shown that do not count.")
