"""The audit log over the API: read-only, administrators only (API keys: scope ``admin``)."""

import django_filters
from rest_framework import pagination, viewsets

from governance.api.filters import FilterBackend
from governance.api.permissions import ADMIN_ONLY
from governance.api.scopes import Scope

from ..models import AuditEntry
from .serializers import AuditEntrySerializer


class AuditEntryFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(help_text='A dotted verb, e.g. "version.approved".')
    action_prefix = django_filters.CharFilter(
        field_name="action",
        lookup_expr="startswith",
        help_text='e.g. "version." for every transition.',
    )
    actor = django_filters.CharFilter(field_name="actor_repr", help_text="Username or system.")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = [
            "action",
            "action_prefix",
            "actor",
            "object_type",
            "object_id",
            "request_id",
            "since",
            "until",
        ]


class AuditCursorPagination(pagination.CursorPagination):
    """Newest first, by id: steady pages of an append-only log with no COUNT(*)."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The append-only audit log (who did what to which object, chained by HMAC-SHA256)."""

    permission_classes = ADMIN_ONLY
    read_scope = Scope.ADMIN
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    filter_backends = [FilterBackend]
    pagination_class = AuditCursorPagination
    queryset = AuditEntry.objects.all()
