"""Compliance reports over the API: what each team uses or has asked for, under which terms,
for which use — company-wide or per team, as JSON or CSV — and a team's NOTICE file."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from governance.errors import NotFound, PermissionDenied
from governance.licensing import selectors as licensing
from governance.licensing.api import serializers as licensing_serializers
from governance.licensing.api.views import (
    CSVRenderer,
    FormatOrAccept,
    OneReportSchema,
    PlainTextRenderer,
)

from .. import compliance


class ComplianceReportViewSet(viewsets.ViewSet):
    """Compliance reports: what is used, under which terms, for which use, with open
    violations and waivers — company-wide (staff and legal) or per team."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = FormatOrAccept
    schema = OneReportSchema()
    lookup_field = "team"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    @extend_schema(
        operation_id="compliance_reports_company",
        responses={
            (200, "application/json"): licensing_serializers.ComplianceReportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row a request."),
        },
    )
    def list(self, request: Request) -> Response:
        """The company-wide report (staff and legal reviewers only)."""
        if not licensing.can_read_company_report(request.user):
            raise PermissionDenied("Only administrators and legal reviewers see every team.")
        return Response(compliance.compliance_report())

    def _team(self, request: Request, slug: str):
        team = licensing.reportable_teams(request.user).filter(slug=slug).first()
        if team is None:
            raise NotFound(f"No team {slug!r} whose report you may read.")
        return team

    @extend_schema(
        parameters=[OpenApiParameter("team", str, OpenApiParameter.PATH, description="Team slug.")],
        responses={
            (200, "application/json"): licensing_serializers.ComplianceReportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row a request."),
        },
    )
    def retrieve(self, request: Request, team: str | None = None) -> Response:
        """One team's report (members of the team, staff and legal reviewers)."""
        return Response(compliance.compliance_report(teams=[self._team(request, team)]))

    @extend_schema(
        parameters=[OpenApiParameter("team", str, OpenApiParameter.PATH, description="Team slug.")],
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="NOTICE")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PlainTextRenderer])
    def notice(self, request: Request, team: str | None = None) -> Response:
        """The team's attribution/NOTICE file: creators to credit and license notices."""
        return Response(compliance.attribution_notice(team=self._team(request, team)))
