"""Gate runs (read) and what the gates say about a version now."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.catalog.selectors import visible_versions

from .. import selectors
from ..models import GateRun
from ..services import evaluate_gates
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


class VersionGatesViewSet(viewsets.GenericViewSet):
    """``/api/versions/{id}/gates/``, on the catalog's ``versions`` prefix (only this action);
    a version you may not see is a 404 like a missing one."""

    def get_queryset(self):
        return visible_versions(self.request.user)

    @extend_schema(responses=serializers.GateReportSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def gates(self, request: Request, pk: str | None = None) -> Response:
        """What every gate says about this version now (nothing is stored)."""
        report = evaluate_gates(self.get_object())
        return Response(
            {"outcome": report.outcome, "items": [asdict(item) for item in report.items]}
        )
