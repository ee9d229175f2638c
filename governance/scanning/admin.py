from django.contrib import admin, messages

from governance.admin import RecordAdmin, RecordInline

from .models import FileScan, Finding
from .services import queue_scan


class FindingInline(RecordInline):
    model = Finding
    fields = ["severity", "scanner", "code", "member", "message"]


@admin.register(FileScan)
class FileScanAdmin(RecordAdmin):
    """Scans are results: readable here, changed only by the scanning services."""

    list_display = ["id", "blob", "status", "verdict", "attempts", "queued_at", "finished_at"]
    list_filter = ["status", "verdict", "pickle_scan_result", "virus_scan_result"]
    search_fields = ["blob__sha256"]
    list_select_related = ["blob"]
    inlines = [FindingInline]
    actions = ["rescan"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a rescan supersedes a scan; its record stays

    @admin.action(description="Scan these files again")
    def rescan(self, request, queryset) -> None:
        queued = sum(queue_scan(blob=scan.blob, force=True) is not None for scan in queryset)
        self.message_user(request, f"Queued {queued} scan(s).", messages.SUCCESS)


@admin.register(Finding)
class FindingAdmin(RecordAdmin):
    list_display = ["severity", "code", "scanner", "member", "scan"]
    list_filter = ["severity", "scanner"]
    search_fields = ["code", "message", "member", "scan__blob__sha256"]
    list_select_related = ["scan"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Nobody deletes a finding, administrators included: a rescan supersedes it, and a
        # non-critical one is waived (with a justification and an expiry) by a reviewer.
        return False
