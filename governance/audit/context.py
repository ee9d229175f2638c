"""The request id of the work in progress, carried in a context variable.

``RequestIdMiddleware`` sets it for each HTTP request; a Celery task that should share the id
of the request that enqueued it wraps its body in ``request_context(request_id)``. Every
audit entry records the id current when it was written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("hubgate_request_id", default="")

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def is_sane_request_id(value: str | None) -> bool:
    """Whether ``value`` may be used as a request id: 1-64 of ``[A-Za-z0-9._-]``."""
    return bool(value) and _SANE_REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request (or task) in progress; "" outside of one."""
    return _request_id.get()


@contextmanager
def request_context(request_id: str | None = None) -> Iterator[str]:
    """Make ``request_id`` current for the ``with`` block (a fresh id if None or not sane).

    For Celery tasks: enqueue with ``request_id=current_request_id()`` and run the task's
    body in ``with request_context(request_id):`` so its audit entries carry that id.
    """
    if not is_sane_request_id(request_id):
        request_id = new_request_id()
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)
