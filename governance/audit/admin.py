from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.urls import path
from django.utils import timezone

from .export import CONTENT_TYPES, EXPORTERS
from .models import AuditEntry
from .selectors import iter_entries


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only for everyone: entries are written only by the services.

    The changelist's "Export CSV/JSON" links stream the entries the current filters and
    search select, all pages of them.
    """

    list_display = [
        "created_at",
        "actor_repr",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "request_id",
    ]
    list_filter = ["action", "object_type", "created_at"]
    search_fields = ["actor_repr", "object_repr", "object_id", "request_id"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    show_full_result_count = False  # no COUNT(*) of a large log on every page
    change_list_template = "admin/audit/auditentry/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        export = path(
            "export/<str:output_format>/",
            self.admin_site.admin_view(self.export_view),
            name="audit_auditentry_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest, output_format: str) -> HttpResponse:
        """The changelist's current selection (filters, search, date) as CSV or JSON."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if output_format not in EXPORTERS:
            raise Http404(f"No export format {output_format!r}.")
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("The filters in this address are not valid.")
        response = StreamingHttpResponse(
            EXPORTERS[output_format](iter_entries(queryset)),
            content_type=CONTENT_TYPES[output_format],
        )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{output_format}"'
        return response
