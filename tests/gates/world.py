"""A catalog with one version in every situation the CI gate check must tell apart.

Built through the real services (ingest, scans, requests, reviews, waivers, lifecycle) for
the studio team; ``ci-bot`` is a service account in that team with a ``ci``-scoped key.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.accounts.models import Membership, User
from governance.accounts.services import create_api_key, create_service_account
from governance.approvals import services as approvals
from governance.catalog.models import ModelVersion
from governance.hookspecs import Finding, hookimpl
from governance.ingest.services import attach_blob, ingest_chunks
from governance.lifecycle import services as lifecycle
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ModelVersionFactory
from tests.licensing.factories import PERMISSIVE_FLAGS, approve_by_both, request_use

PROFILE = "commercial-products"
OTHER_PROFILE = "internal-research"
CRITICAL, MEDIUM = b"HUBGATE-TEST-CRITICAL", b"HUBGATE-TEST-MEDIUM"

#: name in the world → (verdict, {reason code: level})
EXPECTED = {
    "approved": ("pass", {"approved": "note"}),
    "deprecated": ("pass", {"approved": "note", "deprecated": "warning"}),
    "waived": ("pass", {"approved": "note", "waived_finding": "warning"}),
    "retired": ("fail", {"retired": "error"}),
    "quarantined": ("fail", {"quarantined": "error"}),
    "in-review": ("fail", {"not_approved": "error"}),
    "open-finding": ("fail", {"not_approved": "error", "open_finding": "error"}),
    "other-use": ("fail", {"not_approved_for_use": "error"}),
    "license": ("fail", {"not_approved_for_use": "error", "license_not_compliant": "error"}),
}


def model_bytes(seed: str, marker: bytes = b"") -> bytes:
    """A small valid safetensors file whose content (so hash) depends on ``seed``."""
    data = b"hubgate-test-model:" + seed.encode() + marker
    header = json.dumps(
        {"w": {"dtype": "U8", "shape": [len(data)], "data_offsets": [0, len(data)]}}
    ).encode()
    return struct.pack("<Q", len(header)) + header + data


class MarkerScanner:
    """Finds a critical issue in files carrying CRITICAL and a medium one in MEDIUM."""

    @hookimpl
    def hubgate_scan_file(self, file):
        content = file.path.read_bytes()
        if CRITICAL in content:
            return [Finding(code="test.backdoor", severity="critical", message="a backdoor")]
        if MEDIUM in content:
            return [Finding(code="test.odd", severity="medium", message="odd but harmless")]
        return []


@dataclass
class World:
    company: object
    admin: User
    bot: User
    ci_key: str
    read_key: str
    versions: dict[str, ModelVersion] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)

    def sha256(self, name: str) -> str:
        return self.versions[name].files.get().sha256


def build_world(company, plugin, capture) -> World:
    """``capture`` is django_capture_on_commit_callbacks: each file's scan runs as it is
    stored, as it would after the upload's transaction commits."""
    plugin(MarkerScanner(), name="marker")
    admin = UserFactory(username="root", is_staff=True)
    bot = create_service_account(username="ci-bot", actor=admin)
    Membership.objects.create(user=bot, team=company.team)
    _, ci_key = create_api_key(user=bot, name="ci", scopes=["ci"], actor=admin)
    _, read_key = create_api_key(user=bot, name="reader", scopes=["read"], actor=admin)
    world = World(company, admin, bot, ci_key, read_key)

    def stored(name: str, marker: bytes = b"", **fields) -> ModelVersion:
        version = ModelVersionFactory(name=name, **{**PERMISSIVE_FLAGS, **fields})
        world.data[name] = model_bytes(name, marker)
        with capture(execute=True):
            blob = ingest_chunks([world.data[name]])
            attach_blob(version=version, blob=blob, name=f"{name}.safetensors")
        version.refresh_from_db()
        world.versions[name] = version
        return version

    def request(version: ModelVersion, use: str = PROFILE):
        return request_use(company, version, use)

    def approve(version: ModelVersion, use: str = PROFILE) -> None:
        approved = approve_by_both(company, request(version, use))
        assert approved.version.state == "approved", (version.name, approved.version.state)

    approve(stored("approved"))
    deprecated = stored("deprecated")
    approve(deprecated)
    lifecycle.deprecate_version(
        version=deprecated,
        actor=admin,
        reason="v2 is better",
        sunset_at=timezone.now() + timedelta(days=30),
    )
    retired = stored("retired")
    approve(retired)
    lifecycle.retire_version(version=retired, actor=admin, reason="superseded")
    request(stored("quarantined", CRITICAL))
    request(stored("in-review"))
    request(stored("open-finding", MEDIUM))
    waived = stored("waived", MEDIUM)
    finding = waived.files.get().blob.current_scan.findings.get()
    request(waived)
    approvals.grant_waiver(
        version=waived,
        finding=finding,
        granted_by=company.sam,
        justification="checked by hand",
        scope="studio only",
        expires_at=timezone.now() + timedelta(days=10),
    )
    approve_by_both(company, waived.requests.get())
    approve(stored("other-use"), OTHER_PROFILE)
    # The creator allows no commercial use: fine for research, not for commercial products.
    no_commerce = {
        f"model__commercial_{use}": False for use in ("image", "rent_civit", "rent", "sell")
    }
    approve(stored("license", **no_commerce), OTHER_PROFILE)
    for version in world.versions.values():
        version.refresh_from_db()
    return world


@pytest.fixture
def world(company, plugin, django_capture_on_commit_callbacks) -> World:
    return build_world(company, plugin, django_capture_on_commit_callbacks)
