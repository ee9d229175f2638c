"""The one Celery app. Every process (web, worker, beat) sets its settings module first.

A worker or beat started without ``DJANGO_SETTINGS_MODULE`` gets production settings, which
refuse to start on insecure defaults, never the development ones (DEBUG, the default secret,
SQLite): a forgotten variable must stop the process, not run it insecurely. Development and
tests name their settings module explicitly (manage.py defaults to local for runserver).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("hubgate")
# All CELERY_* Django settings configure the app (JSON only, acks_late, eager when no broker).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
