from dataclasses import asdict

from rest_framework import serializers

from governance.approvals.api.serializers import GateRunSerializer

from ..check import (
    MAX_ITEMS,
    REASON_CODE_CHOICES,
    VERDICT_CHOICES,
    CheckItem,
    GateCheck,
    parse_item,
)
from ..models import GateRun

__all__ = [
    "GateCheckRequestSerializer",
    "GateCheckSerializer",
    "GateReportSerializer",
    "GateRunSerializer",
    "render_check",
]


class GateReportSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=GateRun.Outcome.choices)
    items = serializers.ListField(child=serializers.DictField())


class CheckItemSerializer(serializers.Serializer):
    hash = serializers.CharField(
        required=False,
        max_length=64,
        help_text="SHA256 (64 hex digits) or AutoV2 (10) of the file, computed by the caller.",
    )
    ref = serializers.CharField(
        required=False,
        max_length=500,
        help_text="A version id (`1234`), a CivitAI URL "
        "(`https://civitai.com/models/123?modelVersionId=456`) or an AIR "
        "(`urn:air:sdxl:lora:civitai:123@456`).",
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        default="",
        help_text="Your label for the item, e.g. the file's path; echoed back.",
    )

    def validate(self, attrs: dict) -> dict:
        try:
            parse_item(CheckItem(attrs.get("hash", ""), attrs.get("ref", ""), attrs["name"]))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return attrs


class CIMetadataSerializer(serializers.Serializer):
    provider = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text="github, gitlab, …"
    )
    repository = serializers.CharField(required=False, allow_blank=True, max_length=500)
    commit = serializers.CharField(required=False, allow_blank=True, max_length=100)
    ref = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Branch or tag."
    )
    pipeline_url = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    job = serializers.CharField(required=False, allow_blank=True, max_length=500)
    environment = serializers.CharField(required=False, allow_blank=True, max_length=200)


class GateCheckRequestSerializer(serializers.Serializer):
    profile = serializers.SlugField(
        max_length=100, help_text="The intended-use profile the files ship for."
    )
    items = serializers.ListField(
        child=CheckItemSerializer(),
        min_length=1,
        max_length=MAX_ITEMS,
        help_text=f"1 to {MAX_ITEMS} files (by hash) or versions (by reference).",
    )
    record_deployment = serializers.BooleanField(
        default=False,
        help_text="Record a `deployment` usage event for every item that passes.",
    )
    ci = CIMetadataSerializer(required=False, help_text="The CI job, kept with the deployment.")


class GateReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=REASON_CODE_CHOICES)
    level = serializers.ChoiceField(
        choices=["error", "warning", "note"], help_text="`error` fails the item."
    )
    message = serializers.CharField()
    gate = serializers.CharField(allow_null=True)
    file_id = serializers.IntegerField(allow_null=True)
    finding_id = serializers.IntegerField(allow_null=True)
    waiver_id = serializers.IntegerField(allow_null=True)
    severity = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Waiver or decision expiry.")
    sunset_at = serializers.DateTimeField(allow_null=True, help_text="Deprecation's sunset.")


class CheckedVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    model_id = serializers.IntegerField()
    model = serializers.CharField()
    state = serializers.CharField()


class CheckedFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sha256 = serializers.CharField()


class ItemVerdictSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    hash = serializers.CharField(allow_blank=True)
    ref = serializers.CharField(allow_blank=True)
    verdict = serializers.ChoiceField(choices=VERDICT_CHOICES)
    reasons = GateReasonSerializer(many=True)
    version = CheckedVersionSerializer(allow_null=True)
    file = CheckedFileSerializer(allow_null=True, help_text="The file a hash matched.")
    usage_event_id = serializers.IntegerField(
        allow_null=True, help_text="The deployment recorded for it, if any."
    )


class GateCheckSerializer(serializers.Serializer):
    profile = serializers.CharField()
    outcome = serializers.ChoiceField(choices=VERDICT_CHOICES, help_text="fail if any item fails")
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    checked_at = serializers.DateTimeField()
    items = ItemVerdictSerializer(many=True)


_CHECKED_AT = serializers.DateTimeField()


def render_check(result: GateCheck) -> dict:
    """What ``GateCheckSerializer(result).data`` gives, without DRF's field-by-field copying
    and rendering (a third of a one-file check's time): the answer is frozen dataclasses
    whose fields are the serializer's, and tests/api/test_gate_check.py holds the two equal.
    """
    return {
        "profile": result.profile,
        "outcome": result.outcome,
        "passed": result.passed,
        "failed": result.failed,
        "checked_at": _CHECKED_AT.to_representation(result.checked_at),
        "items": [asdict(item) for item in result.items],
    }
