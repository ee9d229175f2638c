import re

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from governance.errors import HubgateError
from governance.net import validate_http_url

from . import services
from .models import Webhook, WebhookDelivery


class EventPatternsField(forms.CharField):
    """Event names or prefixes, one per line or comma-separated, stored as a JSON list."""

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [part for part in re.split(r"[\s,]+", text) if part]


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        validators=[validate_http_url],
        help_text=Webhook._meta.get_field("url").help_text,
    )
    events = EventPatternsField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line: event names (version.approved) or prefixes (version.*). "
        "Empty: every event.",
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "active"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks; the secret is shown once, in a message, after creation or rotation."""

    form = WebhookForm
    list_display = ["name", "url", "event_patterns", "active", "created_at", "created_by"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_at", "created_by"]
    actions = ["rotate_secret"]

    @admin.display(description="events")
    def event_patterns(self, obj: Webhook) -> str:
        return ", ".join(obj.events) or "all"

    def save_model(self, request, obj: Webhook, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            self._show_secret(request, obj, obj.secret)

    @admin.action(description="Rotate the secret (the old one stops working at once)")
    def rotate_secret(self, request, queryset) -> None:
        for webhook in queryset:
            self._show_secret(request, webhook, services.rotate_webhook_secret(webhook=webhook))

    def _show_secret(self, request, webhook: Webhook, secret: str) -> None:
        self.message_user(
            request,
            format_html(
                "Secret of webhook “{}”: <code>{}</code> — copy it now: it is not shown again.",
                webhook.name,
                secret,
            ),
            messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Deliveries are a record: readable here, sent again only as a new delivery."""

    list_display = [
        "delivery_id",
        "event",
        "webhook",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "webhook"]
    search_fields = ["delivery_id", "event"]
    list_select_related = ["webhook"]
    date_hierarchy = "created_at"
    actions = ["redeliver"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(
        description="Redeliver (a new delivery with the same payload)", permissions=["change"]
    )
    def redeliver(self, request, queryset) -> None:
        created = 0
        for delivery in queryset.select_related("webhook"):
            try:
                services.redeliver(delivery=delivery)
            except HubgateError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                created += 1
        if created:
            self.message_user(request, f"Queued {created} new delivery(ies).", messages.SUCCESS)
