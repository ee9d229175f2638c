"""Read endpoints of the catalog. Visibility comes from the selectors, never from the view."""

from dataclasses import asdict

from django.db.models import Count, Q
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.filters import FilterBackend
from governance.api.idempotency import idempotent
from governance.approvals.api.serializers import (
    DeprecateSerializer,
    GateReportSerializer,
    ReasonSerializer,
)
from governance.discovery.api.filters import SearchableModelFilter
from governance.errors import UsageRefused
from governance.gates.services import evaluate_gates
from governance.ingest.serving import blob_response
from governance.lifecycle import services as lifecycle
from governance.lifecycle.selectors import usage_verdict
from governance.recommendations import selectors as recommendations
from governance.usage.models import UsageEvent
from governance.usage.services import record_usage

from .. import selectors
from ..filters import ModelFileFilter, ModelVersionFilter
from ..models import Creator, ModelFile, ModelVersion, Tag
from . import serializers


class ModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Models in the catalog, with their versions."""

    filterset_class = SearchableModelFilter  # ``search``: the one text search (discovery)
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["name", "download_count", "rating", "favorite_count", "created_at"]
    ordering = ["-download_count", "id"]

    def get_queryset(self):
        return selectors.with_catalog_details(selectors.visible_models(self.request.user))

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ModelDetailSerializer
        return serializers.ModelListSerializer

    @extend_schema(
        responses=serializers.RecommendationSerializer(many=True),
        parameters=[serializers.SimilarQuerySerializer],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def similar(self, request: Request, pk: str | None = None) -> Response:
        """Models like this one, ranked by the recommender plugins."""
        model = self.get_object()
        query = serializers.SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        pairs = recommendations.similar_models(model=model, user=request.user, limit=limit)
        data = [{"model": m, "score": r.score, "reason": r.reason} for m, r in pairs]
        return Response(serializers.RecommendationSerializer(data, many=True).data)


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
        """One version; the read is recorded as usage (an API read)."""
        version: ModelVersion = self.get_object()
        response = Response(self.get_serializer(version).data)
        record_usage(kind=UsageEvent.Kind.API_READ, version=version, user=request.user,
                     client="api", after=response)  # fmt: skip
        return response

    @extend_schema(responses=serializers.VersionScoreSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def scores(self, request: Request, pk: str | None = None) -> Response:
        """The latest score of every scorer plugin for this version."""
        version: ModelVersion = self.get_object()
        return Response(serializers.VersionScoreSerializer(version.scores.all(), many=True).data)

    @extend_schema(request=DeprecateSerializer, responses=serializers.ModelVersionSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def deprecate(self, request: Request, pk: str | None = None) -> Response:
        """Deprecate an approved version, with a reason, an optional successor and sunset."""
        data = DeprecateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = lifecycle.deprecate_version(
            version=self.get_object(), actor=request.user, **data.validated_data
        )
        return Response(self.get_serializer(version).data)

    @extend_schema(request=ReasonSerializer, responses=serializers.ModelVersionSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def retire(self, request: Request, pk: str | None = None) -> Response:
        """Retire a version now: using it fails from then on."""
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = lifecycle.retire_version(
            version=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(version).data)

    @extend_schema(responses=GateReportSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def gates(self, request: Request, pk: str | None = None) -> Response:
        """What every gate says about this version now (nothing is stored)."""
        report = evaluate_gates(self.get_object())
        return Response({"outcome": report.outcome,
                         "items": [asdict(item) for item in report.items]})  # fmt: skip


class ModelFileViewSet(viewsets.ReadOnlyModelViewSet):
    """Files of versions; look one up by any published hash with ``?hash=``."""

    serializer_class = serializers.ModelFileSerializer
    filterset_class = ModelFileFilter
    problem_statuses = {"download": [410, 416]}  # a retired version's file; a bad Range
    search_fields = ["name"]
    ordering_fields = ["name", "size_kb", "id"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.visible_files(self.request.user).select_related("blob__current_scan")

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
        verdict = usage_verdict(request.user, file.version)
        if not verdict.allowed:
            raise UsageRefused(verdict.reason, status=verdict.status)
        response = blob_response(request, file.blob, filename=file.name)
        record_usage(kind=UsageEvent.Kind.DOWNLOAD, version=file.version, file=file,
                     user=request.user, client="api", after=response,
                     metadata={"range": request.headers.get("Range", "")})  # fmt: skip
        if verdict.warning:
            response["Warning"] = f'299 hubgate "{verdict.warning}"'
        return response


class CreatorViewSet(viewsets.ReadOnlyModelViewSet):
    """People and organisations who publish models."""

    serializer_class = serializers.CreatorSerializer
    search_fields = ["username"]
    ordering_fields = ["username", "model_count"]
    ordering = ["username"]
    filterset_fields = ["hub"]

    def get_queryset(self):
        visible = selectors.visible_models(self.request.user)
        return Creator.objects.annotate(
            model_count=Count("models", filter=Q(models__in=visible), distinct=True)
        )


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    """Tags, with how many visible models carry each."""

    serializer_class = serializers.TagSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "model_count"]
    ordering = ["-model_count", "name"]
    filterset_fields = ["name"]

    def get_queryset(self):
        visible = selectors.visible_models(self.request.user)
        return Tag.objects.annotate(
            model_count=Count("models", filter=Q(models__in=visible), distinct=True)
        )
