"""Gate runs (read)."""

from rest_framework import viewsets

from .. import selectors
from ..models import GateRun
from . import serializers


class GateRunViewSet(viewsets.ReadOnlyModelViewSet):
    """What the gates said about a version at each run (requests' runs included)."""

    serializer_class = serializers.GateRunSerializer
    filterset_fields = ["version", "request", "outcome"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    queryset = GateRun.objects.none()  # for the schema; get_queryset applies visibility

    def get_queryset(self):
        return selectors.gate_runs_visible_to(self.request.user)
