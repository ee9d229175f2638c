from django.contrib import admin, messages

from .models import FileScan, Finding
from .services import queue_scan


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    can_delete = False
    fields = ["severity", "scanner", "code", "member", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FileScan)
class FileScanAdmin(admin.ModelAdmin):
    """Scans are results: readable here, changed only by the scanning services."""

    list_display = ["id", "blob", "status", "verdict", "attempts", "queued_at", "finished_at"]
    list_filter = ["status", "verdict", "pickle_scan_result", "virus_scan_result"]
    search_fields = ["blob__sha256"]
    list_select_related = ["blob"]
    inlines = [FindingInline]
    actions = ["rescan"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Scan these files again")
    def rescan(self, request, queryset) -> None:
        queued = sum(queue_scan(blob=scan.blob, force=True) is not None for scan in queryset)
        self.message_user(request, f"Queued {queued} scan(s).", messages.SUCCESS)


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["severity", "code", "scanner", "member", "scan"]
    list_filter = ["severity", "scanner"]
    search_fields = ["code", "message", "member", "scan__blob__sha256"]
    list_select_related = ["scan"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
