from rest_framework import serializers

from ..export import FIELDS
from ..models import AuditEntry, iso_utc


class AuditEntrySerializer(serializers.ModelSerializer):
    """An entry with every field its hash covers, spelled as the chain spells it, so a copy
    can be verified outside Hubgate."""

    created_at = serializers.SerializerMethodField(help_text="ISO 8601, UTC, microseconds.")
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = FIELDS  # the same columns, in the same order, as the exports

    def get_created_at(self, entry: AuditEntry) -> str:
        return iso_utc(entry.created_at)
