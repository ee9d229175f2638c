"""Recommendations, compatibility and quality over REST. Thin: parse, call a selector, render.

Only models the caller may see are ever named; an id they may not see is a 404 problem.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.catalog.api import serializers as catalog_serializers
from governance.catalog.selectors import visible_model, visible_models, visible_version
from governance.scoring.quality import composite_quality

from .. import selectors
from ..compatibility import check_compatibility
from . import serializers


def _parse(serializer_class, request: Request) -> dict:
    """Validated query parameters (``type`` may repeat); bad ones are a 400 problem."""
    data = {key: request.query_params.get(key) for key in request.query_params}
    if "type" in data:
        data["type"] = request.query_params.getlist("type")
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _render(pairs) -> Response:
    data = [{"model": m, "score": r.score, "reason": r.reason} for m, r in pairs]
    return Response(serializers.RecommendationSerializer(data, many=True).data)


class ForMeView(APIView):
    """Models recommended for you, from what you and your teams use, each with its reason."""

    @extend_schema(
        parameters=[serializers.LimitSerializer],
        responses=serializers.RecommendationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = _parse(serializers.LimitSerializer, request)
        return _render(selectors.recommended_for_user(user=request.user, limit=params["limit"]))


class SimilarView(APIView):
    """Models similar to a model you may see (content, co-use, compatibility, trend)."""

    @extend_schema(
        parameters=[serializers.LimitSerializer],
        responses=serializers.RecommendationSerializer(many=True),
    )
    def get(self, request: Request, model_id: int) -> Response:
        params = _parse(serializers.LimitSerializer, request)
        model = visible_model(request.user, model_id)
        return _render(
            selectors.similar_models(model=model, user=request.user, limit=params["limit"])
        )


class CompatibleView(APIView):
    """Add-ons (LoRAs, embeddings, ControlNets, VAEs, upscalers …) that load on a checkpoint."""

    @extend_schema(
        parameters=[serializers.CompatibleQuerySerializer],
        responses=serializers.RecommendationSerializer(many=True),
    )
    def get(self, request: Request, checkpoint_id: int) -> Response:
        params = _parse(serializers.CompatibleQuerySerializer, request)
        checkpoint = visible_model(request.user, checkpoint_id)
        pairs = selectors.compatible_models(
            checkpoint=checkpoint,
            user=request.user,
            limit=params["limit"],
            types=params.get("type") or None,
        )
        return _render(pairs)


class CompatibilityCheckView(APIView):
    """Does this add-on load on this checkpoint? Judged on their base-model families."""

    problem_statuses = {"get": [404]}  # an add-on or checkpoint you may not see

    @extend_schema(
        parameters=[serializers.CompatibilityQuerySerializer],
        responses=serializers.CompatibilityCheckSerializer,
    )
    def get(self, request: Request) -> Response:
        params = _parse(serializers.CompatibilityQuerySerializer, request)
        addon = visible_model(request.user, params["addon"])
        checkpoint = visible_model(request.user, params["checkpoint"])
        result = check_compatibility(addon=addon, checkpoint=checkpoint)
        data = {
            "addon": addon,
            "checkpoint": checkpoint,
            "compatible": result.compatible,
            "level": result.level,
            "reason": result.reason,
            "addon_families": sorted(result.addon_families),
            "checkpoint_families": sorted(result.checkpoint_families),
        }
        return Response(serializers.CompatibilityCheckSerializer(data).data)


class VersionQualityView(APIView):
    """A version's composite quality score, each scorer's part and the explanation."""

    @extend_schema(
        parameters=[OpenApiParameter("version_id", int, OpenApiParameter.PATH)],
        responses=serializers.QualitySerializer,
    )
    def get(self, request: Request, version_id: int) -> Response:
        version = visible_version(request.user, version_id)
        return Response(serializers.QualitySerializer(composite_quality(version).as_dict()).data)


class ModelSimilarViewSet(viewsets.GenericViewSet):
    """``/api/models/{id}/similar/``, on the catalog's ``models`` prefix (only this action);
    a model you may not see is a 404 like a missing one."""

    def get_queryset(self):
        return visible_models(self.request.user)

    @extend_schema(
        responses=catalog_serializers.RecommendationSerializer(many=True),
        parameters=[catalog_serializers.SimilarQuerySerializer],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def similar(self, request: Request, pk: str | None = None) -> Response:
        """Models like this one, ranked by the recommender plugins."""
        model = self.get_object()
        query = catalog_serializers.SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        pairs = selectors.similar_models(model=model, user=request.user, limit=limit)
        data = [{"model": m, "score": r.score, "reason": r.reason} for m, r in pairs]
        return Response(catalog_serializers.RecommendationSerializer(data, many=True).data)
