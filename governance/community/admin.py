"""The console's view of the community: read-only records; hiding, restoring and dismissing
go through the moderation services, so every decision is audited."""

from django.contrib import admin, messages

from governance.admin import RecordAdmin, RecordInline
from governance.errors import HubgateError

from . import services
from .models import (
    Collection,
    CollectionItem,
    Comment,
    Favorite,
    Follow,
    Report,
    Review,
    ReviewRevision,
)


def _moderate(action: str, label: str):
    @admin.action(description=label)
    def run(modeladmin, request, queryset):
        done = 0
        for obj in queryset:
            try:
                services.moderate_content(
                    moderator=request.user,
                    target=obj,
                    action=action,
                    reason="from the admin console",
                )
                done += 1
            except HubgateError as exc:
                modeladmin.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)
        modeladmin.message_user(request, f"{done} item(s): {action} done.")

    run.__name__ = f"{action}_selected"
    return run


class RevisionInline(RecordInline):
    model = ReviewRevision
    fields = ["rating", "text", "written_at", "replaced_at"]


@admin.register(Review)
class ReviewAdmin(RecordAdmin):
    list_display = ["model", "version", "user", "rating", "status", "helpful_count", "updated_at"]
    list_filter = ["status", "rating"]
    search_fields = ["text", "user__username", "model__name"]
    list_select_related = ["model", "version", "user"]
    inlines = [RevisionInline]
    actions = [
        _moderate("hide", "Hide selected reviews"),
        _moderate("restore", "Publish selected reviews"),
    ]


@admin.register(Comment)
class CommentAdmin(RecordAdmin):
    list_display = ["model", "author", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["text", "author__username", "model__name"]
    list_select_related = ["model", "author"]
    actions = [
        _moderate("hide", "Hide selected comments"),
        _moderate("restore", "Publish selected comments"),
    ]


@admin.register(Report)
class ReportAdmin(RecordAdmin):
    list_display = ["pk", "reporter", "review", "comment", "status", "resolution", "created_at"]
    list_filter = ["status", "resolution"]
    list_select_related = ["reporter", "review", "comment"]

    @admin.action(description="Dismiss selected reports")
    def dismiss(self, request, queryset):
        for report in queryset:
            services.dismiss_report(moderator=request.user, report=report)

    actions = ["dismiss"]


class ItemInline(RecordInline):
    model = CollectionItem
    fields = ["position", "model", "version", "note", "added_at"]


@admin.register(Collection)
class CollectionAdmin(RecordAdmin):
    list_display = ["name", "owner", "visibility", "team", "updated_at"]
    list_filter = ["visibility"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner", "team"]
    inlines = [ItemInline]
    exclude = ["share_token"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "share_token"]


@admin.register(Favorite)
class FavoriteAdmin(RecordAdmin):
    list_display = ["user", "model", "created_at"]
    list_select_related = ["user", "model"]


@admin.register(Follow)
class FollowAdmin(RecordAdmin):
    list_display = ["user", "creator", "model", "tag", "created_at"]
    list_select_related = ["user", "creator", "model", "tag"]
