from django.contrib import admin

from .models import Deprecation


@admin.register(Deprecation)
class DeprecationAdmin(admin.ModelAdmin):
    list_display = ["version", "reason", "successor", "sunset_at", "deprecated_by"]
    list_select_related = ["version__model", "successor", "deprecated_by"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
