from django.contrib import admin
from django.db.models import Count

from governance.admin import RecordInline

from .models import Creator, Image, Model, ModelFile, ModelVersion, Tag, VersionScore
from .services import announce_permission_flags, grant_owning_team, transfer_model


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    fields = ["name", "state", "base_model", "published_at", "download_count"]
    readonly_fields = ["state"]
    show_change_link = True


class ModelFileInline(admin.TabularInline):
    model = ModelFile
    extra = 0
    fields = ["name", "type", "format", "primary", "size_kb", "sha256", "pickle_scan_result"]
    show_change_link = True


class ImageInline(admin.TabularInline):
    model = Image
    extra = 0
    fields = ["url", "type", "nsfw_level", "width", "height", "has_meta"]


class VersionScoreInline(RecordInline):
    model = VersionScore
    fields = ["plugin", "name", "value", "explanation", "error", "computed_at"]


@admin.register(Model)
class ModelAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "type",
        "creator",
        "owning_team",
        "hub",
        "external_id",
        "nsfw",
        "mode",
        "version_count",
        "download_count",
        "rating",
    ]
    list_filter = ["type", "hub", "nsfw", "mode", "poi", "commercial_sell", "owning_team"]
    search_fields = ["name", "external_id", "creator__username", "tags__name"]
    list_select_related = ["creator", "owning_team"]
    autocomplete_fields = ["creator", "owning_team", "tags"]
    readonly_fields = ["created_at", "updated_at", "last_synced_at"]
    inlines = [ModelVersionInline]

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "type",
                    "creator",
                    "owning_team",
                    "visibility",
                    "tags",
                    "description",
                ]
            },
        ),
        ("Source", {"fields": ["hub", "external_id", "source_url", "last_synced_at"]}),
        ("Content", {"fields": ["nsfw", "nsfw_level", "poi", "minor", "sfw_only", "mode"]}),
        (
            "Creator's permissions",
            {
                "fields": [
                    "allow_no_credit",
                    "commercial_image",
                    "commercial_rent_civit",
                    "commercial_rent",
                    "commercial_sell",
                    "allow_derivatives",
                    "allow_different_license",
                ],
            },
        ),
        (
            "Hub statistics",
            {
                "classes": ["collapse"],
                "fields": [
                    "download_count",
                    "favorite_count",
                    "comment_count",
                    "rating",
                    "rating_count",
                    "thumbs_up_count",
                    "thumbs_down_count",
                    "tipped_amount_count",
                ],
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_version_count=Count("versions"))

    def save_model(self, request, obj: Model, form, change: bool) -> None:
        moving = change and "owning_team" in form.changed_data
        moved_to = obj.owning_team
        if moving:
            # A new owner is a transfer (old team's permission revoked, audited), not a save.
            obj.owning_team_id = form.initial.get("owning_team")
        super().save_model(request, obj, form, change)
        if moving:
            transfer_model(
                model=obj, to_team=moved_to, actor=request.user, reason="Changed in the admin"
            )
        elif not change:
            grant_owning_team(model=obj)
        if change:  # licensing re-evaluates the model when its permission flags changed
            announce_permission_flags(model=obj, fields=form.changed_data)

    @admin.display(description="versions", ordering="_version_count")
    def version_count(self, obj: Model) -> int:
        return obj._version_count


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """The lifecycle state is shown, never edited here: it changes through its services."""

    list_display = ["__str__", "state", "base_model", "base_model_type", "published_at"]
    list_filter = ["state", "base_model", "base_model_type", "status", "model__type"]
    readonly_fields = ["state"]
    search_fields = ["name", "model__name", "external_id"]
    list_select_related = ["model"]
    autocomplete_fields = ["model"]
    date_hierarchy = "published_at"
    inlines = [ModelFileInline, ImageInline, VersionScoreInline]


@admin.register(ModelFile)
class ModelFileAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "type", "format", "primary", "size_kb", "pickle_scan_result"]
    list_filter = ["type", "format", "pickle_scan_result", "virus_scan_result", "primary"]
    search_fields = ["name", "sha256", "autov2", "blake3", "external_id"]
    list_select_related = ["version__model"]
    autocomplete_fields = ["version"]


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):
    list_display = ["username", "hub", "model_count"]
    list_filter = ["hub"]
    search_fields = ["username"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_model_count=Count("models"))

    @admin.display(description="models", ordering="_model_count")
    def model_count(self, obj: Creator) -> int:
        return obj._model_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "model_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_model_count=Count("models"))

    @admin.display(description="models", ordering="_model_count")
    def model_count(self, obj: Tag) -> int:
        return obj._model_count


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["id", "version", "type", "nsfw_level", "width", "height", "has_meta"]
    list_filter = ["type", "nsfw_level", "has_meta"]
    list_select_related = ["version__model"]
    search_fields = ["version__model__name", "external_id"]
    autocomplete_fields = ["version"]
