from rest_framework import serializers

from governance.accounts.models import ReviewerRole, Team
from governance.catalog.api.fields import VisibleVersionField
from governance.gates.models import GateRun
from governance.scanning.models import Finding

from ..models import ModelRequest, Review, Waiver


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    role = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "reviewer", "role", "decision", "comment", "created_at"]


class GateRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateRun
        fields = ["id", "version", "request", "outcome", "items", "created_at"]


class ModelRequestSerializer(serializers.ModelSerializer):
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    version = VisibleVersionField()
    policy = serializers.StringRelatedField(allow_null=True)
    reviews = ReviewSerializer(many=True, read_only=True)

    class Meta:
        model = ModelRequest
        fields = [
            "id", "version", "team", "requester", "intended_use", "justification", "state",
            "policy", "decision_comment", "reviews", "created_at", "decided_at",
        ]  # fmt: skip
        read_only_fields = ["state", "policy", "decision_comment", "created_at", "decided_at"]
        # Duplicates are the service's business (a 409 naming the open request), not a 400.
        validators: list = []


class ReviewCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Review.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    role = serializers.SlugRelatedField(
        slug_field="slug", queryset=ReviewerRole.objects.all(), required=False, allow_null=True,
        help_text="Which required role you fill; defaults to the first open one you hold.",
    )  # fmt: skip


class WaiverSerializer(serializers.ModelSerializer):
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    role = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = VisibleVersionField()
    finding = serializers.PrimaryKeyRelatedField(queryset=Finding.objects.all(), write_only=True)

    class Meta:
        model = Waiver
        fields = [
            "id", "version", "finding", "blob_sha256", "scanner", "code", "member",
            "justification", "scope", "granted_by", "role", "granted_at", "expires_at",
            "revoked_at",
        ]  # fmt: skip
        read_only_fields = ["blob_sha256", "scanner", "code", "member", "granted_at", "revoked_at"]
