from django.contrib import admin

from .models import GateRun


@admin.register(GateRun)
class GateRunAdmin(admin.ModelAdmin):
    list_display = ["id", "version", "request", "outcome", "created_at"]
    list_filter = ["outcome"]
    list_select_related = ["version__model"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
