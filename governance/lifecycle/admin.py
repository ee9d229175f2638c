from django.contrib import admin

from governance.admin import RecordAdmin

from .models import Deprecation


@admin.register(Deprecation)
class DeprecationAdmin(RecordAdmin):
    list_display = ["version", "reason", "successor", "sunset_at", "deprecated_by"]
    list_select_related = ["version__model", "successor", "deprecated_by"]
