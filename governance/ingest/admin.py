from django.contrib import admin

from governance.admin import RecordAdmin

from .models import Blob, UploadSession


@admin.register(Blob)
class BlobAdmin(RecordAdmin):
    """Stored bytes are immutable: their hashes and scans are shown, never edited."""

    list_display = ["sha256", "size", "format", "verdict", "created_at"]
    list_filter = ["format", "current_scan__verdict"]
    search_fields = ["sha256", "blake3", "autov1", "autov3"]
    list_select_related = ["current_scan"]

    @admin.display(description="scan verdict", ordering="current_scan__verdict")
    def verdict(self, obj: Blob) -> str:
        return obj.current_scan.get_verdict_display() if obj.current_scan else "Pending"


@admin.register(UploadSession)
class UploadSessionAdmin(RecordAdmin):
    list_display = ["filename", "created_by", "size", "offset", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["filename", "created_by__username"]
    list_select_related = ["created_by"]
