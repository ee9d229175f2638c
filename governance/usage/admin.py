from django.contrib import admin

from governance.admin import RecordAdmin

from .models import DailyUsage, UsageEvent


@admin.register(UsageEvent)
class UsageEventAdmin(RecordAdmin):
    list_display = ["created_at", "kind", "version", "user", "team", "client"]
    list_filter = ["kind", "client"]
    search_fields = ["version__model__name", "user__username", "team__slug"]
    list_select_related = ["version__model", "user", "team"]
    date_hierarchy = "created_at"


@admin.register(DailyUsage)
class DailyUsageAdmin(RecordAdmin):
    list_display = ["day", "kind", "model", "version", "team", "base_model", "count", "users"]
    list_filter = ["kind", "base_model", "model_type"]
    list_select_related = ["model", "version", "team"]
    date_hierarchy = "day"
