"""``Idempotency-Key`` for state-changing API calls (the IETF httpapi draft's semantics).

The first call with a key runs and its answer is stored; a repeat with the same key and the
same request gets the stored answer (``Idempotent-Replayed: true``) without running again; the
same key with a different request is refused (422); a repeat while the first is still running
is refused (409). Calls that failed with an error are forgotten, so the client may retry.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from governance.errors import Conflict, HubgateError, ValidationFailed

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


class KeyReused(HubgateError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method: Callable) -> Callable:
    """Decorate a DRF view method that changes state."""

    @functools.wraps(view_method)
    def wrapper(self, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not key or len(key) > 255 or not key.isprintable():
            raise ValidationFailed(
                f"{HEADER} must be 1 to 255 printable characters", errors={HEADER: ["invalid"]}
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(user=request.user, key=key)
            if record.fingerprint != fingerprint:
                raise KeyReused(f"{HEADER} {key!r} was used for a different request.") from None
            if record.status_code is None:
                raise Conflict(
                    f"A request with {HEADER} {key!r} is still being processed."
                ) from None
            return Response(
                record.response_body,
                status=record.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception:
            record.delete()
            raise
        record.status_code = response.status_code
        record.response_body = response.data
        record.save(update_fields=["status_code", "response_body"])
        return response

    wrapper.idempotent = True  # the OpenAPI schema documents the header for it
    return wrapper
