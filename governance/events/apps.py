from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "governance.events"
    label = "events"
    verbose_name = "Events and webhooks"
