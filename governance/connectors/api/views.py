"""Imports from CivitAI over the API: start one, and watch its progress."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from governance.accounts.models import ApiKey
from governance.api.idempotency import idempotent
from governance.errors import PermissionDenied

from .. import selectors, services
from ..models import ConnectorJob
from .serializers import ConnectorJobSerializer, ImportRequestSerializer


class ConnectorJobViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Imports, syncs and downloads from CivitAI, with their progress (``done`` of ``total``)."""

    serializer_class = ConnectorJobSerializer
    required_scope = ApiKey.Scope.REQUEST
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.jobs_visible_to(self.request.user)

    @extend_schema(request=ImportRequestSerializer, responses={202: ConnectorJobSerializer})
    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Import a model from CivitAI by id, URL, AIR or file hash; runs in the background.
        It arrives as drafts (a team then requests it for approval)."""
        data = ImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = data.validated_data.get("team")
        user = request.user
        if team is not None and not user.is_staff and not user.teams.filter(pk=team.pk).exists():
            raise PermissionDenied("You can only import a model for a team you belong to.")
        job = services.start_job(
            kind=ConnectorJob.Kind.IMPORT,
            reference=data.validated_data["reference"],
            options={
                "download": data.validated_data["download"],
                "track": data.validated_data["track"],
            },
            actor=user,
            owning_team=team,
        )
        job.refresh_from_db()
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)
