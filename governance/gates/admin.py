from django.contrib import admin

from governance.admin import RecordAdmin

from .models import GateRun


@admin.register(GateRun)
class GateRunAdmin(RecordAdmin):
    list_display = ["id", "version", "request", "outcome", "created_at"]
    list_filter = ["outcome"]
    list_select_related = ["version__model"]
