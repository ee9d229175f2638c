from rest_framework import serializers

from governance.catalog.api.serializers import ModelListSerializer
from governance.catalog.models import CommercialUse, ModelType, VersionState

from ..selectors import MAX_LIMIT, MODES, SORTS


class SearchQuerySerializer(serializers.Serializer):
    """The query parameters of ``GET /api/search/`` (documentation; parsing is SearchParams')."""

    q = serializers.CharField(required=False, max_length=500, help_text="The words to search for.")
    mode = serializers.ChoiceField(choices=MODES, default="hybrid")
    type = serializers.MultipleChoiceField(choices=ModelType.values, required=False)
    base_model = serializers.ListField(child=serializers.CharField(), required=False)
    tag = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="All must match."
    )
    commercial_use = serializers.MultipleChoiceField(
        choices=CommercialUse.values, required=False, help_text="Every listed use must be allowed."
    )
    max_nsfw_level = serializers.IntegerField(required=False, min_value=0)
    state = serializers.MultipleChoiceField(choices=VersionState.values, required=False)
    team = serializers.SlugField(required=False, help_text="Owning team's slug.")
    sort = serializers.ChoiceField(choices=tuple(SORTS), default="relevance")
    personalize = serializers.BooleanField(default=True, help_text="Boost what your teams use.")
    limit = serializers.IntegerField(default=20, min_value=1, max_value=MAX_LIMIT)
    offset = serializers.IntegerField(default=0, min_value=0)


class SearchHitSerializer(serializers.Serializer):
    model = ModelListSerializer(read_only=True)
    score = serializers.FloatField(
        help_text="Fused relevance (reciprocal rank fusion); 0 without a query."
    )
    sources = serializers.ListField(
        child=serializers.CharField(), help_text="lexical, semantic, typo, personal."
    )


class SearchResultsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    mode = serializers.CharField(source="params.mode")
    offset = serializers.IntegerField(source="params.offset")
    limit = serializers.IntegerField(source="params.limit")
    has_next = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())
    results = SearchHitSerializer(source="hits", many=True)


class ImageSearchSerializer(serializers.Serializer):
    image = serializers.ImageField(help_text="A picture; models whose previews look like it.")
    limit = serializers.IntegerField(default=20, min_value=1, max_value=MAX_LIMIT)


class VisualHitSerializer(serializers.Serializer):
    model = ModelListSerializer(read_only=True)
    distance = serializers.IntegerField(
        help_text="Differing bits of the 64-bit dHash (0: same look)."
    )
    image_id = serializers.IntegerField(help_text="The preview image that matched.")
