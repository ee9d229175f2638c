"""A view that writes an audit entry, for the request-id middleware tests."""

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path

from governance.audit.services import record


def audited(request: HttpRequest) -> JsonResponse:
    with transaction.atomic():
        entry = record(action="test.viewed", object_type="tests.view", object_id="1")
    return JsonResponse({"entry": entry.pk, "request_id": request.request_id})


urlpatterns = [path("audited/", audited)]
