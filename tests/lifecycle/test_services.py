"""Deprecation, retirement and the guards on every transition."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from governance.approvals import services as approvals
from governance.catalog.models import VersionState as S
from governance.errors import Conflict, PermissionDenied, ValidationFailed
from governance.lifecycle import services
from governance.lifecycle.selectors import usage_verdict
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(company, stored_version, django_capture_on_commit_callbacks):
    def make():
        version = stored_version()
        with django_capture_on_commit_callbacks(execute=True):
            request = approvals.request_model(
                requester=company.alice,
                team=company.team,
                version=version,
                intended_use="internal-research",
            )
            approvals.review_request(request=request, reviewer=company.sam, decision="approve")
            approvals.review_request(request=request, reviewer=company.lee, decision="approve")
        version.refresh_from_db()
        assert version.state == S.APPROVED
        return version

    return make


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True)


def test_deprecation_warns_and_the_sunset_retires(company, approved, staff) -> None:
    version, successor = approved(), approved()
    sunset = timezone.now() + timedelta(days=30)
    services.deprecate_version(
        version=version,
        actor=staff,
        reason="superseded by v2",
        successor=successor,
        sunset_at=sunset,
    )
    verdict = usage_verdict(company.alice, version)
    assert verdict.allowed and "deprecated: superseded by v2" in verdict.warning
    assert f"use version {successor.pk} instead" in verdict.warning
    assert services.retire_due_versions(now=sunset - timedelta(days=1)) == 0
    assert services.retire_due_versions(now=sunset + timedelta(minutes=1)) == 1
    version.refresh_from_db()
    assert version.state == S.RETIRED
    verdict = usage_verdict(company.alice, version)
    assert (verdict.allowed, verdict.status) == (False, 410)


def test_deprecation_needs_a_reason_a_future_sunset_and_an_approved_successor(
    approved, staff
) -> None:
    version = approved()
    with pytest.raises(ValidationFailed, match="reason"):
        services.deprecate_version(version=version, actor=staff, reason=" ")
    with pytest.raises(ValidationFailed, match="sunset"):
        services.deprecate_version(
            version=version, actor=staff, reason="old", sunset_at=timezone.now() - timedelta(days=1)
        )
    with pytest.raises(ValidationFailed, match="successor"):
        services.deprecate_version(
            version=version, actor=staff, reason="old", successor=ModelVersionFactory()
        )


def test_only_admins_or_owning_team_leads_deprecate(company, approved) -> None:
    with pytest.raises(PermissionDenied):
        services.deprecate_version(version=approved(), actor=company.alice, reason="old")


@pytest.mark.parametrize(
    ("start", "move"),
    [
        (S.DRAFT, "retire"),
        (S.DRAFT, "approve"),
        (S.RETIRED, "submit"),
        (S.REJECTED, "retire"),
    ],
)
def test_invalid_transitions_are_refused(start, move, staff) -> None:
    version = ModelVersionFactory(state=start)
    calls = {
        "retire": lambda: services.retire_version(version=version, actor=staff),
        "approve": lambda: services.approve_version(version=version, actor=staff, request_id=0),
        "submit": lambda: services.submit_version(version=version, actor=staff),
    }
    with pytest.raises(Conflict):
        calls[move]()
    version.refresh_from_db()
    assert version.state == start


def test_the_admin_cannot_edit_the_state(admin_client, approved) -> None:
    version = approved()
    page = admin_client.get(f"/admin/catalog/modelversion/{version.pk}/change/")
    assert page.status_code == 200
    assert b'name="state"' not in page.content


def test_use_after_the_sunset_fails_at_once_without_beat(company, approved, staff) -> None:
    version = approved()
    sunset = timezone.now() + timedelta(days=30)
    services.deprecate_version(version=version, actor=staff, reason="superseded", sunset_at=sunset)
    version.refresh_from_db()
    assert usage_verdict(company.alice, version).allowed
    with time_machine.travel(sunset + timedelta(minutes=1), tick=False):
        verdict = usage_verdict(company.alice, version)
        assert (verdict.allowed, verdict.status) == (False, 410)
        assert "sunset" in verdict.reason
        file = version.files.get()
        client = APIClient()
        client.force_authenticate(company.alice)
        response = client.get(f"/api/files/{file.pk}/download/")
        assert response.status_code == 410, response.content
    version.refresh_from_db()
    assert version.state == S.DEPRECATED, "beat has not run: the verdict alone refuses"
