"""List filters of requests and waivers.

A version is filtered by id, not offered as a choice: a choice list would name every version
in the browsable API's filter form, other teams' private ones included.
"""

import django_filters

from .models import ModelRequest, Waiver


class ModelRequestFilter(django_filters.FilterSet):
    version = django_filters.NumberFilter(field_name="version_id")

    class Meta:
        model = ModelRequest
        fields = ["state", "team__slug", "version", "intended_use"]


class WaiverFilter(django_filters.FilterSet):
    version = django_filters.NumberFilter(field_name="version_id")

    class Meta:
        model = Waiver
        fields = ["version", "code", "scanner"]
