"""Usage events, read-only: downloads, CI deployments, API reads and portal views."""

import django_filters
from rest_framework import viewsets

from .. import selectors
from ..models import UsageEvent
from . import serializers


class UsageEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=UsageEvent.Kind.choices)
    model = django_filters.NumberFilter(field_name="version__model_id", help_text="A model id.")
    team = django_filters.CharFilter(field_name="team__slug", help_text="Team slug.")
    user = django_filters.CharFilter(field_name="user__username", help_text="Username.")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = UsageEvent
        fields = ["kind", "version", "model", "file", "team", "user", "client", "since", "until"]


class UsageEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Who used which version how, newest first (yours and your teams'; administrators: all)."""

    serializer_class = serializers.UsageEventSerializer
    filterset_class = UsageEventFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.usage_events_visible_to(self.request.user)
