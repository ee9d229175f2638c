"""Query-string filters for catalog listings (API and portal share them).

The text ``search`` of model listings is discovery's lexical search, installed with
:func:`provide_text_search` when that app loads: the catalog sits below the one search.
"""

from collections.abc import Callable

import django_filters
from django.db.models import Q, QuerySet

from .models import (
    COMMERCIAL_USE_FIELDS,
    CommercialUse,
    Hub,
    Model,
    ModelFile,
    ModelMode,
    ModelType,
    ModelVersion,
)


def _name_contains(queryset: QuerySet[Model], value: str) -> QuerySet[Model]:
    return queryset.filter(name__icontains=value)


#: The one text search over models: the discovery app's (it sits above the catalog and installs
#: it with ``provide_text_search`` when it loads). Until then ``search`` matches names only.
_text_search: Callable[[QuerySet[Model], str], QuerySet[Model]] = _name_contains


def provide_text_search(search: Callable[[QuerySet[Model], str], QuerySet[Model]]) -> None:
    """Install the function behind the ``search`` filter (discovery's lexical search)."""
    global _text_search
    _text_search = search


class ModelFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Words to look for in names, tags, trigger words, creators and descriptions "
        "(Hubgate's lexical search, typo-tolerant on PostgreSQL; ranked results: /api/search/).",
    )
    type = django_filters.MultipleChoiceFilter(choices=ModelType.choices)
    base_model = django_filters.CharFilter(
        field_name="versions__base_model", distinct=True, help_text="e.g. SDXL 1.0"
    )
    tag = django_filters.CharFilter(
        method="filter_tag", help_text="Tag name; repeat the parameter to require several."
    )
    creator = django_filters.CharFilter(field_name="creator__username")
    nsfw = django_filters.BooleanFilter()
    mode = django_filters.ChoiceFilter(choices=ModelMode.choices)
    hub = django_filters.ChoiceFilter(choices=Hub.choices)
    commercial_use = django_filters.ChoiceFilter(
        choices=CommercialUse.choices,
        method="filter_commercial_use",
        help_text="Only models whose creator allows this commercial use.",
    )
    owning_team = django_filters.NumberFilter(field_name="owning_team_id")

    class Meta:
        model = Model
        fields = ["type", "base_model", "tag", "creator", "nsfw", "mode", "hub", "poi"]

    def filter_search(self, queryset: QuerySet[Model], name: str, value: str) -> QuerySet[Model]:
        # The one search, narrowing the already permitted queryset.
        return _text_search(queryset, value)

    def filter_tag(self, queryset: QuerySet[Model], name: str, value: str) -> QuerySet[Model]:
        for tag in self.data.getlist("tag") if hasattr(self.data, "getlist") else [value]:
            queryset = queryset.filter(tags__name=tag.strip().lower())
        return queryset.distinct()

    def filter_commercial_use(
        self, queryset: QuerySet[Model], name: str, value: str
    ) -> QuerySet[Model]:
        return queryset.filter(**{COMMERCIAL_USE_FIELDS[CommercialUse(value)]: True})


class ModelVersionFilter(django_filters.FilterSet):
    base_model = django_filters.CharFilter()
    model = django_filters.NumberFilter(field_name="model_id")
    published_after = django_filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="gte")

    class Meta:
        model = ModelVersion
        fields = ["base_model", "model", "status"]


class ModelFileFilter(django_filters.FilterSet):
    hash = django_filters.CharFilter(
        method="filter_hash",
        help_text="Any published hash (SHA256, AutoV2, BLAKE3, AutoV1, AutoV3, CRC32).",
    )
    sha256 = django_filters.CharFilter(method="filter_upper")
    autov2 = django_filters.CharFilter(method="filter_upper")
    version = django_filters.NumberFilter(field_name="version_id")
    # Not "format": DRF reads ?format= as the renderer to answer with (URL_FORMAT_OVERRIDE),
    # so a filter of that name was never reached (every value but "json" was a 404).
    file_format = django_filters.CharFilter(
        field_name="format", help_text="The file format as the hub names it: SafeTensor, …"
    )

    class Meta:
        model = ModelFile
        fields = ["sha256", "autov2", "version", "file_format", "type", "primary"]

    def filter_upper(self, queryset: QuerySet[ModelFile], name: str, value: str):
        return queryset.filter(**{name: value.strip().upper()})

    def filter_hash(self, queryset: QuerySet[ModelFile], name: str, value: str):
        value = value.strip().upper()
        return queryset.filter(
            Q(sha256=value)
            | Q(autov2=value)
            | Q(blake3=value)
            | Q(autov1=value)
            | Q(autov3=value)
            | Q(crc32=value)
        )
