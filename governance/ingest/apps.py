from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "governance.ingest"
    label = "ingest"
    verbose_name = "File ingest"
