from django.contrib import admin, messages
from django.utils.html import format_html

from governance.admin import RecordAdmin
from governance.errors import HubgateError

from . import services
from .models import ConnectorJob, HubConnection, TrackedModel

_STATUS_COLORS = {"ok": "#2e7d32", "degraded": "#ef6c00", "down": "#c62828", "unknown": "#757575"}


@admin.register(HubConnection)
class HubConnectionAdmin(RecordAdmin):
    """Connector health: what the last calls and the last check found."""

    list_display = [
        "hub",
        "health",
        "latency_ms",
        "consecutive_failures",
        "last_success_at",
        "last_failure_at",
        "rate_limited_until",
        "api_key_configured",
        "base_url",
        "detail",
    ]
    actions = ["check_now"]

    @admin.display(description="status", ordering="status")
    def health(self, obj: HubConnection) -> str:
        color = _STATUS_COLORS.get(obj.status, "#757575")
        return format_html('<b style="color:{}">{}</b>', color, obj.get_status_display())

    @admin.action(description="Check the connection now")
    def check_now(self, request, queryset) -> None:
        connection = services.check_health()
        level = messages.SUCCESS if connection.status == HubConnection.Status.OK else messages.ERROR
        self.message_user(request, f"{connection}: {connection.detail}", level)

    def changelist_view(self, request, extra_context=None):
        services._connection()  # the row exists before the first call, so the list is not empty
        return super().changelist_view(request, extra_context)


@admin.register(TrackedModel)
class TrackedModelAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "external_id",
        "active",
        "hub_mode",
        "removed_from_hub",
        "flagged_at",
        "last_synced_at",
        "last_error",
    ]
    list_filter = ["active", "hub_mode", "removed_from_hub"]
    search_fields = ["model__name", "external_id"]
    list_select_related = ["model"]
    fields = [
        "model",
        "external_id",
        "active",
        "hub_mode",
        "removed_from_hub",
        "flagged_at",
        "last_synced_at",
        "last_error",
        "added_by",
        "created_at",
    ]
    readonly_fields = [f for f in fields if f != "active"]
    actions = ["sync_now"]

    def has_add_permission(self, request) -> bool:
        return False  # models are tracked by importing them

    @admin.action(description="Sync every tracked model now")
    def sync_now(self, request, queryset) -> None:
        try:
            job = services.start_job(kind=ConnectorJob.Kind.SYNC, actor=request.user)
        except HubgateError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return
        self.message_user(request, f"Started {job}; its progress is under Connector jobs.")


@admin.register(ConnectorJob)
class ConnectorJobAdmin(RecordAdmin):
    list_display = [
        "id",
        "kind",
        "reference",
        "status",
        "progress",
        "failed",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "message"]
    list_select_related = ["created_by"]

    @admin.display(description="progress")
    def progress(self, obj: ConnectorJob) -> str:
        percent = obj.percent
        if obj.unit == "bytes":
            done, total = f"{obj.done / 1024**2:.1f}", f"{obj.total / 1024**2:.1f} MiB"
        else:
            done, total = str(obj.done), f"{obj.total or '?'} {obj.unit}"
        suffix = f" ({percent:.0f}%)" if percent is not None else ""
        return f"{done} / {total}{suffix}"
