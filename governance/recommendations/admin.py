from django.contrib import admin

from .models import InteractionStats, ItemSimilarity


class _Computed(admin.ModelAdmin):
    """Read-only: rebuilt by the matrix refresh task, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ItemSimilarity)
class ItemSimilarityAdmin(_Computed):
    list_display = ["model_a", "model_b", "score", "support", "computed_at"]
    list_select_related = ["model_a", "model_b"]
    search_fields = ["model_a__name", "model_b__name"]


@admin.register(InteractionStats)
class InteractionStatsAdmin(_Computed):
    list_display = ["model", "actors", "events", "computed_at"]
    list_select_related = ["model"]
