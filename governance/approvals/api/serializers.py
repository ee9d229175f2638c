from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.accounts.models import ReviewerRole, Team
from governance.catalog.api.fields import VisibleVersionField
from governance.errors import NotFound
from governance.scanning.models import Finding
from governance.scanning.selectors import findings_visible_to

from ..models import ModelRequest, Review, Waiver
from ..selectors import gate_blockers


@extend_schema_field(OpenApiTypes.INT)
class VisibleFindingField(serializers.PrimaryKeyRelatedField):
    """A finding the requesting user may see: the browsable API's form lists only those, and
    any other id, private or missing, is the same 404."""

    def get_queryset(self) -> QuerySet:
        user = getattr(self.context.get("request"), "user", None)
        if user is None or not user.is_authenticated:
            return Finding.objects.none()
        return findings_visible_to(user)

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(pk=data)
        except ObjectDoesNotExist:
            raise NotFound("No such finding.") from None
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    role = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "reviewer", "role", "decision", "comment", "created_at"]


class ModelRequestSerializer(serializers.ModelSerializer):
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    version = VisibleVersionField()
    policy = serializers.StringRelatedField(allow_null=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    gate_reasons = serializers.SerializerMethodField(
        help_text="Why the gates of this open request fail now (empty when they pass)."
    )

    class Meta:
        model = ModelRequest
        fields = [
            "id",
            "version",
            "team",
            "requester",
            "intended_use",
            "justification",
            "state",
            "policy",
            "decision_comment",
            "gate_reasons",
            "reviews",
            "created_at",
            "decided_at",
        ]
        read_only_fields = ["state", "policy", "decision_comment", "created_at", "decided_at"]
        # Duplicates are the service's business (a 409 naming the open request), not a 400.
        validators: list = []

    def get_gate_reasons(self, obj: ModelRequest) -> list[str]:
        if obj.state not in (ModelRequest.State.GATING, ModelRequest.State.IN_REVIEW):
            return []
        return gate_blockers(obj)


class ReviewCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Review.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    role = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ReviewerRole.objects.all(),
        required=False,
        allow_null=True,
        help_text="Which required role you fill; defaults to the first open one you hold.",
    )


class WaiverSerializer(serializers.ModelSerializer):
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    role = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = VisibleVersionField()
    finding = VisibleFindingField(write_only=True)

    class Meta:
        model = Waiver
        fields = [
            "id",
            "version",
            "finding",
            "blob_sha256",
            "scanner",
            "code",
            "member",
            "justification",
            "scope",
            "granted_by",
            "role",
            "granted_at",
            "expires_at",
            "revoked_at",
        ]
        read_only_fields = ["blob_sha256", "scanner", "code", "member", "granted_at", "revoked_at"]
