from datetime import timedelta

import pytest
from django.utils import timezone

from governance.audit.models import AuditEntry
from governance.catalog.models import VersionState
from tests.catalog.factories import ModelVersionFactory
from tests.lifecycle.factories import DeprecationFactory

pytestmark = pytest.mark.django_db


def test_a_deprecation_deprecates_its_version_and_is_audited():
    deprecation = DeprecationFactory()
    deprecation.full_clean()
    deprecation.version.refresh_from_db()
    assert deprecation.version.state == VersionState.DEPRECATED
    assert deprecation.deprecated_by.is_staff
    assert AuditEntry.objects.filter(action="version.deprecated").count() == 1


def test_a_deprecation_names_an_approved_successor_and_a_sunset():
    successor = ModelVersionFactory(state=VersionState.APPROVED)
    sunset = timezone.now() + timedelta(days=30)
    deprecation = DeprecationFactory(
        successor=successor, sunset_at=sunset, version__model=successor.model
    )
    assert (deprecation.successor, deprecation.sunset_at) == (successor, sunset)
