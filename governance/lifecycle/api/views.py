"""Lifecycle actions on versions: ``/api/versions/{id}/deprecate/`` and ``…/retire/``.

Registered on the catalog's ``versions`` prefix (only these actions), so the paths and URL
names are those of the versions API; a version you may not see is a 404 like a missing one.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.idempotency import idempotent
from governance.catalog.api.serializers import ModelVersionSerializer
from governance.catalog.selectors import visible_versions

from .. import services
from .serializers import DeprecateSerializer, ReasonSerializer


class VersionLifecycleViewSet(viewsets.GenericViewSet):
    """Deprecate or retire a version."""

    serializer_class = ModelVersionSerializer

    def get_queryset(self):
        return visible_versions(self.request.user).prefetch_related("files", "images")

    @extend_schema(request=DeprecateSerializer, responses=ModelVersionSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def deprecate(self, request: Request, pk: str | None = None) -> Response:
        """Deprecate an approved version, with a reason, an optional successor and sunset."""
        data = DeprecateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.deprecate_version(
            version=self.get_object(), actor=request.user, **data.validated_data
        )
        return Response(self.get_serializer(version).data)

    @extend_schema(request=ReasonSerializer, responses=ModelVersionSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def retire(self, request: Request, pk: str | None = None) -> Response:
        """Retire a version now: using it fails from then on."""
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.retire_version(
            version=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(version).data)
