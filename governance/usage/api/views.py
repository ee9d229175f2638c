"""Usage events, read-only: downloads, CI deployments, API reads and portal views."""

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.authentication import HasScope
from governance.catalog.models import ModelFile
from governance.catalog.selectors import visible_files
from governance.errors import ValidationFailed

from .. import selectors
from ..downloads import serve_download
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


def _scope_and_days(request: Request):
    params = request.query_params
    try:
        days = int(params.get("days", 90))
        model_id = int(params["model"]) if params.get("model") else None
    except ValueError:
        raise ValidationFailed(
            "days and model are numbers.", errors={"days": ["a number"]}
        ) from None
    if not 1 <= days <= 730:
        raise ValidationFailed("days lies between 1 and 730.", errors={"days": ["1..730"]})
    scope = selectors.analytics_scope(
        request.user, team_slug=params.get("team") or None, model_id=model_id
    )
    return scope, days


ANALYTICS_PARAMETERS = [
    OpenApiParameter("team", str, description="A team slug: that team's usage (members only)."),
    OpenApiParameter("model", int, description="A model id: that model's usage."),
    OpenApiParameter("days", int, description="How many days back, 1-730 (default 90)."),
]


class AnalyticsView(APIView):
    """Usage over time (company-wide, one team's or one model's): daily downloads,
    deployments, API reads and portal views, active people, top models and teams, usage by
    base model and type. Only models you may see are counted."""

    permission_classes = [IsAuthenticated, HasScope]
    problem_statuses = {"get": [404]}  # a team you are not in, a model you may not see

    @extend_schema(
        parameters=ANALYTICS_PARAMETERS, responses={200: serializers.AnalyticsSerializer}
    )
    def get(self, request: Request) -> Response:
        scope, days = _scope_and_days(request)
        data = selectors.usage_analytics(request.user, scope, days=days)
        return Response(serializers.AnalyticsSerializer(data).data)


class CSVRenderer(BaseRenderer):
    """text/csv for the export; errors still come out as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode(self.charset)
        return JSONRenderer().render(data)


class AnalyticsCSVView(APIView):
    """The same daily series as CSV, one line per day."""

    permission_classes = [IsAuthenticated, HasScope]
    renderer_classes = [CSVRenderer, JSONRenderer]
    problem_statuses = AnalyticsView.problem_statuses

    @extend_schema(parameters=ANALYTICS_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request) -> HttpResponse:
        scope, days = _scope_and_days(request)
        data = selectors.usage_analytics(request.user, scope, days=days)
        response = HttpResponse(
            selectors.analytics_csv(data), content_type="text/csv; charset=utf-8"
        )
        name = f"usage-{scope.kind}-{data.start:%Y%m%d}-{data.end:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@extend_schema(responses={200: serializers.WhoUsesSerializer})
@api_view(["GET"])
@permission_classes([IsAuthenticated, HasScope])
def who_uses(request: Request, version_id: int) -> Response:
    """Who uses this version: teams (downloads, deployments, people, last use), the latest CI
    deployments and the teams approved to use it — before deprecating or retiring it."""
    version = selectors.version_usage_visible_to(request.user, version_id)
    return Response(serializers.WhoUsesSerializer(selectors.who_uses_version(version)).data)


class FileDownloadViewSet(viewsets.GenericViewSet):
    """Downloads of files (``/api/files/{id}/download/``, the portal's link too); the rest of
    ``/api/files/`` is the catalog's. A file you may not see is a 404 like a missing one."""

    problem_statuses = {"download": [410, 416]}  # a retired version's file; a bad Range

    def get_queryset(self):
        return visible_files(self.request.user).select_related(
            "blob__current_scan", "version__model", "version__deprecation"
        )

    @extend_schema(
        responses={
            (200, "application/octet-stream"): bytes,
            (206, "application/octet-stream"): bytes,
        },
        parameters=[OpenApiParameter("Range", str, OpenApiParameter.HEADER)],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The file's bytes (Range supported), unless its scan forbids serving it."""
        file: ModelFile = self.get_object()
        return serve_download(request=request, user=request.user, file=file, client="api")
