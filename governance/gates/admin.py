from django.contrib import admin

from governance.admin import RecordAdmin

from .models import GateRun, GateVerdict


@admin.register(GateRun)
class GateRunAdmin(RecordAdmin):
    list_display = ["id", "version", "request", "outcome", "created_at"]
    list_filter = ["outcome"]
    list_select_related = ["version__model"]


@admin.register(GateVerdict)
class GateVerdictAdmin(RecordAdmin):
    """The check's precomputed answers (kept by the services; read only)."""

    list_display = ["version", "profile", "state", "valid_until", "computed_at"]
    list_filter = ["profile", "state"]
    search_fields = ["version__name", "version__model__name"]
    list_select_related = ["version__model"]
