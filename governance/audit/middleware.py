"""``RequestIdMiddleware``: one id per request, for logs and audit entries alike, and the
request's client address (``request.client_address``, from ``governance.net``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from governance.net import client_address

from .context import is_sane_request_id, new_request_id, request_context

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Use the client's ``X-Request-ID`` if it is a sane token, else a new uuid4 hex.

    The id is current (``governance.audit.context.current_request_id``) while the request
    is handled, is set as ``request.request_id`` and is echoed on the response. A reverse
    proxy that assigns request ids should pass them in this header.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @staticmethod
    def _request_id(request: HttpRequest) -> str:
        # The client as the trusted proxies report it, never a raw X-Forwarded-For.
        request.client_address = client_address(request)
        given = request.headers.get(HEADER)
        request_id = given if is_sane_request_id(given) else new_request_id()
        request.request_id = request_id
        return request_id

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        with request_context(self._request_id(request)) as request_id:
            response = self.get_response(request)
        response[HEADER] = request_id
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        with request_context(self._request_id(request)) as request_id:
            response = await self.get_response(request)
        response[HEADER] = request_id
        return response
