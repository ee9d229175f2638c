"""Admin building blocks shared by the apps: records that only services may change."""

from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """A record written by a service (a scan, a gate run, a request …): shown, never edited
    or added by hand. Subclasses may still allow delete or add actions that call services."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


class RecordInline(admin.TabularInline):
    """Inline rows of a record (findings of a scan, reviews of a request): read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
