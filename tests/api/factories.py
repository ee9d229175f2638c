import hashlib
import json

import factory

from governance.api.models import IdempotencyRecord
from tests.accounts.factories import UserFactory


def _fingerprint(method: str, path: str, body: dict) -> str:
    # The spelling governance.api.idempotency hashes: method, path, then the sorted JSON body.
    text = f"{method} {path}\n{json.dumps(body, sort_keys=True, default=str)}"
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyRecordFactory(factory.django.DjangoModelFactory):
    """A finished idempotent call: the answer a retry with the same key is replayed."""

    class Meta:
        model = IdempotencyRecord

    class Params:
        request_body = factory.LazyFunction(lambda: {"intended_use": "internal-research"})

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"8b1f6c2e-0000-4000-8000-{n:012d}")
    fingerprint = factory.LazyAttribute(
        lambda r: _fingerprint("POST", "/api/requests/", r.request_body)
    )
    status_code = 201
    response_body = factory.Sequence(lambda n: {"id": n + 1, "state": "gating"})
