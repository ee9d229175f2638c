"""Request ids: taken from a sane header or generated, echoed, and written on entries."""

import asyncio
import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from governance.audit.context import current_request_id, request_context
from governance.audit.middleware import RequestIdMiddleware
from governance.audit.models import AuditEntry

pytestmark = pytest.mark.urls("tests.audit.urls")

UUID_HEX = re.compile(r"[0-9a-f]{32}")


@pytest.mark.django_db
def test_a_sane_request_id_header_is_echoed_and_lands_on_the_entry(client) -> None:
    response = client.get("/audited/", headers={"X-Request-ID": "edge-7f3a.b_2"})
    assert response["X-Request-ID"] == "edge-7f3a.b_2"
    body = response.json()
    assert body["request_id"] == "edge-7f3a.b_2"
    assert AuditEntry.objects.get(pk=body["entry"]).request_id == "edge-7f3a.b_2"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["has spaces", "x" * 65, "<script>", "a;b", ""])
def test_a_bad_request_id_header_is_replaced(client, header) -> None:
    response = client.get("/audited/", headers={"X-Request-ID": header})
    request_id = response["X-Request-ID"]
    assert UUID_HEX.fullmatch(request_id)
    assert AuditEntry.objects.get(pk=response.json()["entry"]).request_id == request_id


@pytest.mark.django_db
def test_every_response_gets_a_request_id_even_without_a_header(client) -> None:
    first = client.get("/audited/")["X-Request-ID"]
    second = client.get("/no-such-page/")["X-Request-ID"]
    assert UUID_HEX.fullmatch(first) and UUID_HEX.fullmatch(second) and first != second
    assert current_request_id() == ""  # reset after each request


def test_the_middleware_works_for_async_requests_too() -> None:
    async def view(request):
        return HttpResponse(current_request_id())

    middleware = RequestIdMiddleware(view)
    request = RequestFactory().get("/", headers={"X-Request-ID": "async-1"})
    response = asyncio.run(middleware(request))
    assert (response.content, response["X-Request-ID"]) == (b"async-1", "async-1")
    assert request.request_id == "async-1"


def test_request_context_carries_an_id_into_a_task_and_restores_the_outer_one() -> None:
    with request_context("outer") as outer:
        with request_context("from-the-request") as inner:
            assert current_request_id() == inner == "from-the-request"
        assert current_request_id() == outer == "outer"
        with request_context(None) as fresh:
            assert UUID_HEX.fullmatch(fresh)
    assert current_request_id() == ""
