"""The scopes an API key may carry. They belong to the API layer (every endpoint names the
scope it needs); ``governance.accounts`` stores them on its keys."""

from django.db import models


class Scope(models.TextChoices):
    READ = "read", "Read the catalog"
    REQUEST = "request", "Request models, upload files"
    REVIEW = "review", "Review requests, grant waivers"
    ADMIN = "admin", "Administer teams, lifecycle and settings"
    CI = "ci", "Run CI gate checks and record deployments"
