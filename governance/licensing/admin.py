"""The license catalog in the admin: every save goes through the licensing services, so a
change is versioned, audited and re-evaluates the requests it affects."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from governance.admin import RecordAdmin, RecordInline
from governance.errors import HubgateError
from governance.net import validate_http_url

from . import services
from .models import (
    BaseModelLicense,
    DeclaredLicense,
    IntendedUse,
    License,
    LicenseDecision,
    LicenseRevision,
)
from .terms import TERM_CHOICES, TermsInvalid, validate_restrictions, validate_terms


class LicenseForm(forms.ModelForm):
    url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", validators=[validate_http_url]
    )
    change_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the terms change (kept with the new version and in the audit log).",
    )

    class Meta:
        model = License
        fields = [
            "key",
            "name",
            "spdx_id",
            "url",
            "summary",
            "grant_clause",
            "terms",
            "use_restrictions",
            "revenue_limit_usd",
            "revenue_clause",
            "excluded_territories",
            "territory_clause",
            "notice",
            "sources",
        ]

    def clean_terms(self):
        try:
            return validate_terms(self.cleaned_data["terms"])
        except TermsInvalid as exc:
            raise ValidationError([f"{k}: {', '.join(v)}" for k, v in exc.errors.items()]) from exc

    def clean_use_restrictions(self):
        try:
            return validate_restrictions(self.cleaned_data["use_restrictions"] or [])
        except TermsInvalid as exc:
            raise ValidationError(str(exc)) from exc

    def clean_excluded_territories(self):
        territories = self.cleaned_data["excluded_territories"] or []
        if not isinstance(territories, list) or not all(isinstance(t, str) for t in territories):
            raise ValidationError('A list of codes, e.g. ["EU", "GB"].')
        return territories


class RevisionInline(RecordInline):
    model = LicenseRevision
    fields = ["version", "changed_by", "note", "created_at"]
    ordering = ["-version"]


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    form = LicenseForm
    list_display = ["name", "key", "spdx_id", "version", "updated_at"]
    search_fields = ["key", "name", "spdx_id"]
    readonly_fields = ["version", "updated_at"]
    inlines = [RevisionInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "key"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        note = form.cleaned_data.get("change_note", "")
        values = {f: form.cleaned_data[f] for f in services.EDITABLE if f in form.cleaned_data}
        if change:
            changes = {f: v for f, v in values.items() if f in form.changed_data}
            saved = services.update_license(
                license=obj, actor=request.user, changes=changes, note=note
            )
        else:
            saved = services.create_license(key=obj.key, actor=request.user, note=note, **values)
        obj.pk, obj.version = saved.pk, saved.version

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BaseModelLicense)
class BaseModelLicenseAdmin(admin.ModelAdmin):
    list_display = ["base_model", "license", "updated_at"]
    list_filter = ["license"]
    search_fields = ["base_model"]

    def save_model(self, request, obj, form, change) -> None:
        saved = services.set_base_model_license(
            base_model=obj.base_model, license=obj.license, actor=request.user, note=obj.note
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeclaredLicense)
class DeclaredLicenseAdmin(admin.ModelAdmin):
    list_display = ["model", "license", "source", "updated_at"]
    list_filter = ["license"]
    search_fields = ["model__name"]
    raw_id_fields = ["model"]

    def save_model(self, request, obj, form, change) -> None:
        saved = services.declare_license(
            model=obj.model, license=obj.license, actor=request.user, source=obj.source
        )
        obj.pk = saved.pk if saved else None

    def delete_model(self, request, obj) -> None:
        services.declare_license(model=obj.model, license=None, actor=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None


class IntendedUseForm(forms.ModelForm):
    needs = forms.MultipleChoiceField(
        choices=TERM_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The rights this use depends on.",
    )
    territories = forms.CharField(
        required=False, help_text='Comma-separated codes where the use happens: "US, EU".'
    )

    class Meta:
        model = IntendedUse
        fields = [
            "slug",
            "name",
            "description",
            "team",
            "needs",
            "accepts_use_restrictions",
            "territories",
            "active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["territories"] = ", ".join(self.instance.territories)

    def clean_territories(self) -> list[str]:
        raw = self.cleaned_data.get("territories") or ""
        return [t.strip().upper() for t in raw.split(",") if t.strip()]


@admin.register(IntendedUse)
class IntendedUseAdmin(admin.ModelAdmin):
    form = IntendedUseForm
    list_display = ["name", "slug", "team", "accepts_use_restrictions", "active"]
    list_filter = ["active", "team"]
    search_fields = ["slug", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def save_model(self, request, obj, form, change) -> None:
        saved = services.save_intended_use(
            slug=obj.slug,
            actor=request.user,
            name=obj.name,
            description=obj.description,
            team=obj.team,
            needs=form.cleaned_data["needs"],
            accepts_use_restrictions=obj.accepts_use_restrictions,
            territories=form.cleaned_data["territories"],
            active=obj.active,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: requests name profiles by slug


@admin.register(LicenseDecision)
class LicenseDecisionAdmin(RecordAdmin):
    """Decisions are recorded by legal reviewers through the API or portal, with guards."""

    list_display = ["version", "intended_use", "outcome", "decided_by", "expires_at", "revoked_at"]
    list_filter = ["outcome", "intended_use"]
    search_fields = ["version__model__name", "justification"]
    list_select_related = ["version__model", "intended_use", "decided_by"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected decisions")
    def revoke(self, request, queryset) -> None:
        for decision in queryset:
            try:
                services.revoke_license_decision(decision=decision, actor=request.user)
            except HubgateError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
                return
        self.message_user(request, f"Revoked {queryset.count()} decision(s).")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
