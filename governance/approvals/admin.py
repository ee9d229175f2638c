from django.contrib import admin, messages

from governance.admin import RecordAdmin, RecordInline
from governance.audit.services import record

from .models import ApprovalPolicy, ModelRequest, Review, Waiver
from .services import revoke_waiver


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "active", "risk", "quorum", "roles"]
    list_filter = ["active", "risk"]
    search_fields = ["name"]
    filter_horizontal = ["teams", "required_roles"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("required_roles")

    @admin.display(description="required roles")
    def roles(self, obj: ApprovalPolicy) -> str:
        return ", ".join(role.name for role in obj.required_roles.all()) or "—"

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        policy = form.instance
        record(
            action="policy.changed" if change else "policy.created",
            obj=policy,
            actor=request.user,
            after={
                "priority": policy.priority,
                "active": policy.active,
                "risk": policy.risk,
                "model_types": policy.model_types,
                "base_models": policy.base_models,
                "quorum": policy.quorum,
                "required_roles": sorted(r.slug for r in policy.required_roles.all()),
                "teams": sorted(t.slug for t in policy.teams.all()),
            },
        )


class ReviewInline(RecordInline):
    model = Review
    fields = ["reviewer", "role", "decision", "comment", "created_at"]


@admin.register(ModelRequest)
class ModelRequestAdmin(RecordAdmin):
    """Requests change only through their services (reviews in the portal or the API)."""

    list_display = ["id", "version", "team", "requester", "intended_use", "state", "created_at"]
    list_filter = ["state", "team", "intended_use"]
    search_fields = ["version__model__name", "requester__username", "team__name"]
    list_select_related = ["version__model", "team", "requester"]
    inlines = [ReviewInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Waiver)
class WaiverAdmin(RecordAdmin):
    list_display = ["code", "version", "granted_by", "role", "expires_at", "revoked_at"]
    list_filter = ["code", "role"]
    search_fields = ["code", "justification", "version__model__name"]
    list_select_related = ["version__model", "granted_by", "role"]
    actions = ["revoke"]  # waivers are granted through the API or portal, with their guards

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke these waivers")
    def revoke(self, request, queryset) -> None:
        for waiver in queryset:
            revoke_waiver(waiver=waiver, actor=request.user)
        self.message_user(request, f"Revoked {queryset.count()} waiver(s).", messages.SUCCESS)
