"""Serializer fields naming catalog rows by id, with visibility applied."""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..selectors import visible_version, visible_versions


@extend_schema_field(OpenApiTypes.INT)
class VisibleVersionField(serializers.PrimaryKeyRelatedField):
    """A version id in a request body, looked up with ``visible_version``: a version the
    requester may not see answers exactly like one that does not exist (the same 404), and
    the browsable API's form lists only versions the requester may see."""

    def _user(self):
        return getattr(self.context.get("request"), "user", None) or AnonymousUser()

    def get_queryset(self):
        return visible_versions(self._user())

    def to_internal_value(self, data):
        text = str(data).strip() if isinstance(data, (int, str)) else ""
        if isinstance(data, bool) or not (text.isascii() and text.isdigit() and len(text) <= 18):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return visible_version(self._user(), int(text))
