"""Read endpoints of the catalog. Visibility comes from the selectors, never from the view.

Actions of upper apps on the same paths live in those apps' ``api`` packages (downloads in
usage, deprecate/retire in lifecycle, gates in gates, similar models in recommendations),
registered on the same prefixes so their paths and names are unchanged."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.filters import FilterBackend

from .. import selectors
from ..filters import ModelFileFilter, ModelFilter, ModelVersionFilter
from ..models import ModelVersion
from ..signals import version_read
from . import serializers


class ModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Models in the catalog, with their versions."""

    filterset_class = ModelFilter  # ``search``: the one text search (discovery's)
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["name", "download_count", "rating", "favorite_count", "created_at"]
    ordering = ["-download_count", "id"]

    def get_queryset(self):
        return selectors.with_catalog_details(selectors.visible_models(self.request.user))

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ModelDetailSerializer
        return serializers.ModelListSerializer


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Versions of models, with their files and preview images."""

    serializer_class = serializers.ModelVersionSerializer
    filterset_class = ModelVersionFilter
    search_fields = ["name", "model__name", "trained_words"]
    ordering_fields = ["published_at", "download_count", "rating"]
    ordering = ["-published_at", "-id"]

    def get_queryset(self):
        return selectors.visible_versions(self.request.user).prefetch_related("files", "images")

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """One version; the read is announced (``version_read``: usage records it)."""
        version: ModelVersion = self.get_object()
        response = Response(self.get_serializer(version).data)
        version_read.send(
            ModelVersion, version=version, user=request.user, client="api", response=response
        )
        return response

    @extend_schema(responses=serializers.VersionScoreSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def scores(self, request: Request, pk: str | None = None) -> Response:
        """The latest score of every scorer plugin for this version."""
        version: ModelVersion = self.get_object()
        return Response(serializers.VersionScoreSerializer(version.scores.all(), many=True).data)


class ModelFileViewSet(viewsets.ReadOnlyModelViewSet):
    """Files of versions; look one up by any published hash with ``?hash=``."""

    serializer_class = serializers.ModelFileSerializer
    filterset_class = ModelFileFilter
    search_fields = ["name"]
    ordering_fields = ["name", "size_kb", "id"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.visible_files(self.request.user).select_related("blob__current_scan")


class CreatorViewSet(viewsets.ReadOnlyModelViewSet):
    """People and organisations who publish models."""

    serializer_class = serializers.CreatorSerializer
    search_fields = ["username"]
    ordering_fields = ["username", "model_count"]
    ordering = ["username"]
    filterset_fields = ["hub"]

    def get_queryset(self):
        return selectors.visible_creators(self.request.user)


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    """Tags, with how many visible models carry each."""

    serializer_class = serializers.TagSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "model_count"]
    ordering = ["-model_count", "name"]
    filterset_fields = ["name"]

    def get_queryset(self):
        return selectors.visible_tags(self.request.user)
