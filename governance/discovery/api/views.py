"""``GET /api/search/`` and ``POST /api/search/image/``: the one search, over HTTP."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.models import ApiKey
from governance.catalog.models import ModelVersion
from governance.errors import ValidationFailed

from .. import selectors
from . import serializers

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def _prefetch_listing(models: list) -> None:
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        models, "tags", "owning_team", Prefetch("versions", queryset=ModelVersion.objects.all())
    )


class SearchView(APIView):
    """Full-text, semantic and hybrid search of the models you may see, with filters and sorts."""

    @extend_schema(
        operation_id="search_models",
        parameters=[serializers.SearchQuerySerializer],
        responses=serializers.SearchResultsSerializer,
    )
    def get(self, request: Request) -> Response:
        params = selectors.SearchParams.from_query_dict(request.query_params)
        results = selectors.search(user=request.user, params=params)
        _prefetch_listing([hit.model for hit in results.hits])
        return Response(serializers.SearchResultsSerializer(results).data)


class ImageSearchView(APIView):
    """Models whose preview images look like an uploaded picture (perceptual hash)."""

    parser_classes = [MultiPartParser, FormParser]
    # A search, though it is a POST: a read-only API key may use it.
    required_scope = ApiKey.Scope.READ

    @extend_schema(
        operation_id="search_models_by_image",
        request=serializers.ImageSearchSerializer,
        responses=serializers.VisualHitSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("image")
        if upload is None:
            raise ValidationFailed(
                "Upload an image.", errors={"image": ["This field is required."]}
            )
        if upload.size > MAX_IMAGE_BYTES:
            raise ValidationFailed("The image is too large.", errors={"image": ["At most 20 MB."]})
        try:
            limit = int(request.data.get("limit", 20))
        except (TypeError, ValueError):
            raise ValidationFailed(
                "Invalid search.", errors={"limit": ["Must be an integer."]}
            ) from None
        if not 1 <= limit <= selectors.MAX_LIMIT:
            raise ValidationFailed(
                "Invalid search.", errors={"limit": [f"1 to {selectors.MAX_LIMIT}."]}
            )
        hits = selectors.similar_images(user=request.user, image_bytes=upload.read(), limit=limit)
        _prefetch_listing([hit.model for hit in hits])
        return Response(serializers.VisualHitSerializer(hits, many=True).data)
