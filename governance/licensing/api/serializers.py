from rest_framework import serializers

from governance.catalog.api.fields import VisibleVersionField
from governance.hookspecs import LicenseVerdict

from ..models import BaseModelLicense, IntendedUse, License, LicenseDecision, LicenseRevision

VERDICT_CHOICES = [(v.value, v.value.replace("_", " ")) for v in LicenseVerdict]


class LicenseSerializer(serializers.ModelSerializer):
    expression = serializers.CharField(
        read_only=True, help_text="SPDX id, or LicenseRef-hubgate-<key> for licenses SPDX lacks."
    )
    terms = serializers.JSONField(
        help_text="Every right (commercial_outputs, commercial_use, hosting, sell_model, "
        "derivatives, redistribution, relicense_derivatives, train_on_outputs, "
        "use_without_credit) → {permission: allowed|conditional|review|prohibited, clause, "
        "note, conditions}."
    )
    use_restrictions = serializers.JSONField(help_text="[{text, clause}]")
    excluded_territories = serializers.JSONField(help_text='Codes such as "EU", "GB", "KR".')

    class Meta:
        model = License
        fields = [
            "key",
            "name",
            "spdx_id",
            "expression",
            "url",
            "summary",
            "grant_clause",
            "version",
            "terms",
            "use_restrictions",
            "revenue_limit_usd",
            "revenue_clause",
            "excluded_territories",
            "territory_clause",
            "notice",
            "sources",
            "updated_at",
        ]


class LicenseRevisionSerializer(serializers.ModelSerializer):
    changed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    snapshot = serializers.JSONField()

    class Meta:
        model = LicenseRevision
        fields = ["version", "snapshot", "changed_by", "note", "created_at"]


class BaseModelLicenseSerializer(serializers.ModelSerializer):
    license = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)

    class Meta:
        model = BaseModelLicense
        fields = ["base_model", "license", "note", "updated_at"]


class IntendedUseSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    needs = serializers.ListField(child=serializers.CharField())
    territories = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = IntendedUse
        fields = [
            "slug",
            "name",
            "description",
            "team",
            "needs",
            "accepts_use_restrictions",
            "territories",
            "active",
            "updated_at",
        ]


class LicenseReasonSerializer(serializers.Serializer):
    plugin = serializers.CharField()
    verdict = serializers.ChoiceField(choices=VERDICT_CHOICES)
    term = serializers.CharField()
    clause = serializers.CharField()
    message = serializers.CharField()
    source = serializers.CharField()


class DecisionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.CharField(help_text="compliant or non_compliant")
    decided_by = serializers.CharField()
    justification = serializers.CharField()
    expires_at = serializers.DateTimeField()


class LicenseRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    spdx_id = serializers.CharField(allow_null=True)
    version = serializers.IntegerField()
    role = serializers.CharField()
    url = serializers.CharField()


class LicenseEvaluationSerializer(serializers.Serializer):
    version_id = serializers.IntegerField()
    verdict = serializers.ChoiceField(
        choices=VERDICT_CHOICES,
        help_text="The verdict now, after any legal decision.",
    )
    evaluated_verdict = serializers.ChoiceField(
        choices=VERDICT_CHOICES, help_text="What the evaluators said."
    )
    intended_use = serializers.CharField()
    reasons = LicenseReasonSerializer(many=True)
    decision = DecisionSummarySerializer(allow_null=True)
    licenses = LicenseRefSerializer(many=True)
    terms = serializers.JSONField(help_text="The effective terms, term by term.")
    basis = serializers.CharField(help_text="Fingerprint of the terms and profile.")


class LicenseDecisionSerializer(serializers.ModelSerializer):
    version = VisibleVersionField()
    intended_use = serializers.SlugRelatedField(
        slug_field="slug", queryset=IntendedUse.objects.all()
    )
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    role = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    revoked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reasons = serializers.JSONField(read_only=True)
    decided_verdict = serializers.ChoiceField(
        source="outcome",
        choices=LicenseDecision.Outcome.choices,
        help_text="What the legal reviewer decides the verdict is.",
    )

    class Meta:
        model = LicenseDecision
        fields = [
            "id",
            "version",
            "intended_use",
            "decided_verdict",
            "justification",
            "reasons",
            "basis",
            "decided_by",
            "role",
            "decided_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = ["basis", "decided_at", "revoked_at"]


class ReportSummarySerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    compliant = serializers.IntegerField()
    needs_review = serializers.IntegerField()
    non_compliant = serializers.IntegerField()
    violations = serializers.IntegerField()
    waivers = serializers.IntegerField()


class ReportRowSerializer(serializers.Serializer):
    team = serializers.CharField()
    request_id = serializers.IntegerField()
    request_state = serializers.CharField()
    version_id = serializers.IntegerField()
    version_state = serializers.CharField()
    model = serializers.CharField()
    version = serializers.CharField()
    model_type = serializers.CharField()
    base_model = serializers.CharField()
    hub = serializers.CharField()
    source_url = serializers.CharField()
    intended_use = serializers.CharField()
    licenses = serializers.CharField(help_text="SPDX expression of the licenses in play.")
    license_names = serializers.ListField(child=serializers.CharField(), required=False)
    verdict = serializers.CharField()
    evaluated_verdict = serializers.CharField(required=False)
    reasons = serializers.ListField(child=serializers.CharField())
    obligations = serializers.ListField(child=serializers.CharField())
    decision = serializers.IntegerField(allow_null=True)
    requires_credit = serializers.BooleanField()
    violation = serializers.BooleanField()


class ReportWaiverSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["scan", "license"])
    id = serializers.IntegerField()
    version_id = serializers.IntegerField()
    justification = serializers.CharField()
    expires_at = serializers.DateTimeField()
    code = serializers.CharField(required=False)
    scope = serializers.CharField(required=False)
    intended_use = serializers.CharField(required=False)
    outcome = serializers.CharField(required=False)
    granted_by = serializers.CharField(required=False)
    decided_by = serializers.CharField(required=False)


class ComplianceReportSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    scope = serializers.CharField()
    teams = serializers.ListField(child=serializers.CharField())
    summary = ReportSummarySerializer()
    rows = ReportRowSerializer(many=True)
    violations = ReportRowSerializer(many=True)
    waivers = ReportWaiverSerializer(many=True)
