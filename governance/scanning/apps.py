from django.apps import AppConfig


class ScanningConfig(AppConfig):
    name = "governance.scanning"
    label = "scanning"
    verbose_name = "Security scanning"
