from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count

from .models import ApiKey, IdpGroupMapping, Membership, ReviewerRole, RoleAssignment, Team, User
from .services import create_api_key, revoke_api_key
from .sso import delete_group_mapping, save_group_mapping


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "team"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "created_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, obj: Team) -> int:
        return obj._member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "idp_managed", "joined_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(ReviewerRole)
class ReviewerRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "team_scoped", "can_waive"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "idp_managed", "assigned_at"]
    list_filter = ["role", "idp_managed"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["user", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created here (the secret is shown once) and revoked, never edited."""

    form = ApiKeyForm
    list_display = ["name", "user", "prefix", "scopes", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["prefix", "revoked_at", "last_used_at"]
        return [f.name for f in self.model._meta.fields]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        key, raw = create_api_key(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
            actor=request.user,
        )
        obj.pk = key.pk
        self.message_user(
            request, f"Copy this key now, it is not shown again: {raw}", messages.WARNING
        )

    @admin.action(description="Revoke these keys")
    def revoke(self, request, queryset) -> None:
        for key in queryset:
            revoke_api_key(key=key, actor=request.user)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(IdpGroupMapping)
class IdpGroupMappingAdmin(admin.ModelAdmin):
    """Which IdP group puts people in which team / reviewer role (applied at each sign-in,
    together with HUBGATE_IDP_GROUP_MAPPING from settings)."""

    list_display = ["group", "provider", "team", "team_role", "reviewer_role"]
    list_filter = ["provider", "team", "reviewer_role"]
    search_fields = ["group", "team__name", "reviewer_role__name"]
    autocomplete_fields = ["team"]

    def save_model(self, request, obj, form, change) -> None:
        save_group_mapping(mapping=obj, actor=request.user)

    def delete_model(self, request, obj) -> None:
        delete_group_mapping(mapping=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for mapping in queryset:
            delete_group_mapping(mapping=mapping, actor=request.user)
