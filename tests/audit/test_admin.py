"""The audit log in the admin: readable and exportable, never writable."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from governance.audit.models import AuditEntry
from governance.audit.services import record
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditentry_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def two_actions(db) -> list[AuditEntry]:
    return [
        record(
            action="version.approved",
            object_type="catalog.modelversion",
            object_id="1",
            object_repr="Lumen v1",
            after={"state": "approved"},
        ),
        record(
            action="waiver.granted",
            object_type="approvals.waiver",
            object_id="2",
            object_repr="Waiver for Lumen v1",
        ),
    ]


def test_a_superuser_sees_the_changelist_with_export_links(admin_client, two_actions) -> None:
    response = admin_client.get(CHANGELIST, {"q": "Lumen"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lumen v1" in page and "Waiver for Lumen v1" in page
    assert reverse("admin:audit_auditentry_export", args=["csv"]) + "?q=Lumen" in page
    assert reverse("admin:audit_auditentry_export", args=["json"]) + "?q=Lumen" in page
    assert "Add audit entry" not in page
    assert 'value="delete_selected"' not in page


def test_a_superuser_may_read_an_entry_but_not_add_change_or_delete_one(
    admin_client, two_actions
) -> None:
    entry = two_actions[0]
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:audit_auditentry_add"), {}).status_code == 403
    page = admin_client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(change, {"action": "version.forged"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "version.approved"


def test_export_streams_the_filtered_changelist(admin_client, two_actions) -> None:
    url = reverse("admin:audit_auditentry_export", args=["json"])
    response = admin_client.get(url, {"action__exact": "version.approved"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = json.loads(b"".join(response.streaming_content))
    assert [(r["id"], r["after"]) for r in rows] == [(two_actions[0].pk, {"state": "approved"})]

    response = admin_client.get(
        reverse("admin:audit_auditentry_export", args=["csv"]), {"q": "Waiver"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["waiver.granted"]


def test_export_needs_the_view_permission(client, two_actions) -> None:
    url = reverse("admin:audit_auditentry_export", args=["csv"])
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_export", args=["xml"])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the admin login
