"""The one Celery app. Every process (web, worker, beat) sets its settings module first."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("hubgate")
# All CELERY_* Django settings configure the app (JSON only, acks_late, eager when no broker).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
