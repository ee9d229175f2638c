import pytest
from django.db import IntegrityError, transaction

from tests.api.factories import IdempotencyRecordFactory

pytestmark = pytest.mark.django_db


def test_an_idempotency_record_is_a_finished_call_with_a_sha256_fingerprint():
    record = IdempotencyRecordFactory()
    record.full_clean()
    assert record.status_code == 201
    assert len(record.fingerprint) == 64 and int(record.fingerprint, 16) >= 0


def test_the_same_body_gives_the_same_fingerprint_and_a_user_reuses_no_key():
    first = IdempotencyRecordFactory()
    second = IdempotencyRecordFactory(user=first.user)
    assert first.fingerprint == second.fingerprint and first.key != second.key
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyRecordFactory(user=first.user, key=first.key)
