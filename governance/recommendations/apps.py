from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "governance.recommendations"
    label = "recommendations"
    verbose_name = "Recommendations and quality"
