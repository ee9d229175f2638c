"""Editing the catalog in the admin goes through the services: versioned and audited."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from governance.audit.models import AuditEntry
from governance.licensing.models import IntendedUse, License
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, profiles):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def form_data(lic: License, **changes) -> dict:
    data = {
        "key": lic.key,
        "name": lic.name,
        "spdx_id": lic.spdx_id,
        "url": lic.url,
        "summary": lic.summary,
        "grant_clause": lic.grant_clause,
        "terms": json.dumps(lic.terms),
        "use_restrictions": json.dumps(lic.use_restrictions),
        "revenue_limit_usd": lic.revenue_limit_usd or "",
        "revenue_clause": lic.revenue_clause,
        "excluded_territories": json.dumps(lic.excluded_territories),
        "territory_clause": lic.territory_clause,
        "notice": lic.notice,
        "sources": lic.sources,
        "change_note": "",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        "revisions-MIN_NUM_FORMS": "0",
        "revisions-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_changing_terms_in_the_admin_makes_an_audited_version(admin_client) -> None:
    lic = License.objects.get(key="stability-ai-community")
    url = reverse("admin:licensing_license_change", args=[lic.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, form_data(lic, revenue_limit_usd="2000000", change_note="new threshold announced")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lic.refresh_from_db()
    assert (lic.version, lic.revenue_limit_usd) == (2, 2_000_000)
    assert lic.revisions.get(version=2).note == "new threshold announced"
    entry = AuditEntry.objects.get(action="license.changed")
    assert entry.actor_repr == "root" and entry.after["revenue_limit_usd"] == 2_000_000


def test_invalid_terms_are_shown_as_form_errors(admin_client) -> None:
    lic = License.objects.get(key="mit")
    url = reverse("admin:licensing_license_change", args=[lic.pk])
    bad = {**lic.terms, "hosting": {"permission": "sometimes", "clause": "§1"}}
    response = admin_client.post(url, form_data(lic, terms=json.dumps(bad)))
    assert response.status_code == 200 and "permission must be one of" in response.content.decode()
    assert License.objects.get(key="mit").version == 1


def test_profiles_are_edited_through_the_service(admin_client) -> None:
    profile = IntendedUse.objects.get(slug="internal-research")
    url = reverse("admin:licensing_intendeduse_change", args=[profile.pk])
    response = admin_client.post(
        url,
        {
            "name": profile.name,
            "description": profile.description,
            "team": "",
            "needs": ["train_on_outputs"],
            "accepts_use_restrictions": "on",
            "territories": "us, eu",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile.refresh_from_db()
    assert profile.needs == ["train_on_outputs"] and profile.territories == ["EU", "US"]
    assert AuditEntry.objects.filter(action="intended_use.changed").exists()
