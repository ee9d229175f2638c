"""The catalog's model filters with the one text search added (the catalog cannot import
discovery: it sits below it)."""

import django_filters
from django.db.models import QuerySet

from governance.catalog.filters import ModelFilter
from governance.catalog.models import Model

from ..selectors import filter_by_query


class SearchableModelFilter(ModelFilter):
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Words to look for in names, tags, trigger words, creators and descriptions "
        "(Hubgate's lexical search, typo-tolerant on PostgreSQL; ranked results: /api/search/).",
    )

    class Meta(ModelFilter.Meta):
        pass

    def filter_search(self, queryset: QuerySet[Model], name: str, value: str) -> QuerySet[Model]:
        # The one search, narrowing the already permitted queryset.
        return filter_by_query(queryset, value)
