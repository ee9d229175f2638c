"""Licenses, intended uses, evaluations and legal decisions over the API, and the renderers
the compliance reports use (``governance.approvals.api.compliance``): JSON, or CSV with
``?format=csv``; a team's NOTICE file as text.
"""

from __future__ import annotations

import json

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.mediatypes import media_type_matches

from governance.api.idempotency import idempotent
from governance.catalog.selectors import visible_versions
from governance.errors import NotFound, ValidationFailed

from .. import selectors, services
from ..export import report_csv
from ..models import BaseModelLicense, License
from . import serializers


class FormatOrAccept(DefaultContentNegotiation):
    """``?format=csv`` or ``?format=json`` picks the renderer; any other value is ignored
    (the Accept header decides) instead of DRF's bare 404 for an unknown format."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = request.query_params.get(api_settings.URL_FORMAT_OVERRIDE)
        if wanted and wanted not in {renderer.format for renderer in renderers}:
            return self._by_accept(request, renderers)
        return super().select_renderer(request, renderers, format_suffix)

    def _by_accept(self, request, renderers):
        for media_range in self.get_accept_list(request):
            for renderer in renderers:
                if media_type_matches(renderer.media_type, media_range):
                    return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type


class CSVRenderer(BaseRenderer):
    """A compliance report's rows as CSV; anything else (an error) as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, dict) and "rows" in data:
            return report_csv(data).encode()
        return json.dumps(data, default=str).encode()


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data, default=str).encode()


class LicenseViewSet(viewsets.ReadOnlyModelViewSet):
    """The license catalog with machine-readable terms (edited, versioned, in the admin)."""

    serializer_class = serializers.LicenseSerializer
    queryset = License.objects.all()
    lookup_field = "key"
    lookup_value_regex = "[^/]+"  # keys such as "apache-2.0" contain dots
    search_fields = ["key", "name", "spdx_id"]
    ordering_fields = ["name", "key"]
    ordering = ["name"]

    @extend_schema(responses=serializers.LicenseRevisionSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def revisions(self, request: Request, key: str | None = None) -> Response:
        """Every version of this license's terms, newest first."""
        revisions = self.get_object().revisions.select_related("changed_by")
        return Response(serializers.LicenseRevisionSerializer(revisions, many=True).data)


class BaseModelLicenseViewSet(viewsets.ReadOnlyModelViewSet):
    """Which license each base model family carries."""

    serializer_class = serializers.BaseModelLicenseSerializer
    queryset = BaseModelLicense.objects.select_related("license")
    lookup_field = "base_model"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["license__key"]
    ordering = ["base_model"]


class IntendedUseViewSet(viewsets.ReadOnlyModelViewSet):
    """Intended-use profiles: company-wide ones and your teams' own."""

    serializer_class = serializers.IntendedUseSerializer
    lookup_field = "slug"
    filterset_fields = ["active", "team__slug"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.intended_uses_visible_to(self.request.user)


class LicenseEvaluationViewSet(viewsets.GenericViewSet):
    """The license verdict for one version and one intended use, with every reason."""

    serializer_class = serializers.LicenseEvaluationSerializer
    lookup_value_regex = r"\d+"
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return visible_versions(self.request.user).select_related("model")

    @extend_schema(
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="Version id."),
            OpenApiParameter(
                "intended_use", str, required=True, description="The intended-use profile's slug."
            ),
        ]
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """May this version be used for this intended use? Verdict, reasons, terms."""
        version = self.get_object()
        slug = request.query_params.get("intended_use", "").strip()
        if not slug:
            raise ValidationFailed(
                "Name the intended use: ?intended_use=<slug>.",
                errors={"intended_use": ["required"]},
            )
        profile = selectors.intended_uses_visible_to(request.user).filter(slug=slug).first()
        if profile is None:
            raise NotFound(f"No intended-use profile {slug!r}.")
        result = selectors.license_verdict(version=version, profile=profile)
        return Response({"version_id": version.pk, **result.as_dict()})


class LicenseDecisionViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Legal reviewers' justified, expiring decisions on versions that need license review."""

    serializer_class = serializers.LicenseDecisionSerializer
    required_scope = "review"
    problem_statuses = {"create": [404]}  # a version you may not see, as a missing one
    lookup_value_regex = r"\d+"
    filterset_fields = ["version", "intended_use__slug", "outcome"]
    ordering = ["-decided_at"]

    def get_queryset(self):
        return selectors.decisions_visible_to(self.request.user)

    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Decide a "needs review" verdict for one version and intended use, until a date."""
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        decision = services.record_license_decision(
            version=values["version"],
            intended_use=values["intended_use"],
            decided_by=request.user,
            outcome=values["outcome"],
            justification=values["justification"],
            expires_at=values["expires_at"],
        )
        return Response(self.get_serializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=serializers.LicenseDecisionSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def revoke(self, request: Request, pk=None) -> Response:
        """Withdraw a decision early; the version needs review again."""
        decision = self.get_object()
        revoked = services.revoke_license_decision(decision=decision, actor=request.user)
        return Response(self.get_serializer(revoked).data)


class OneReportSchema(AutoSchema):
    """The company-wide report is one object, although it sits on the viewset's list route."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
