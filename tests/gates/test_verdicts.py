"""The gate check answers from precomputed verdicts, and every input's change reaches them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import remove_perm

from governance.approvals import services as approvals
from governance.ci.check import CheckItem, check_gate
from governance.ci.verdicts import invalidate_verdicts, precompute_verdicts
from governance.gates.models import GateVerdict
from governance.hookspecs import (
    Finding,
    LicenseEvaluation,
    LicenseReason,
    LicenseVerdict,
    hookimpl,
)
from governance.lifecycle import services as lifecycle
from governance.scanning.services import queue_scan
from tests.gates.world import PROFILE

pytestmark = pytest.mark.django_db


def verdict(world, name: str, **kwargs):
    item = CheckItem(hash=world.sha256(name), name=name)
    (result,) = check_gate(user=world.bot, profile=PROFILE, items=[item], **kwargs).items
    return result.verdict, {r.code: r.level for r in result.reasons}


def stored(world, name: str) -> GateVerdict:
    return GateVerdict.objects.get(version=world.versions[name], profile=PROFILE)


def test_a_check_stores_the_verdict_and_the_next_answers_from_it_in_few_queries(world) -> None:
    GateVerdict.objects.all().delete()
    first = verdict(world, "approved")
    row = stored(world, "approved")
    items = [CheckItem(hash=world.sha256(name)) for name in ("approved", "waived", "deprecated")]
    check_gate(user=world.bot, profile=PROFILE, items=items)
    with CaptureQueriesContext(connection) as queries:
        result = check_gate(user=world.bot, profile=PROFILE, items=items)
    # The caller's groups, then the files by hash with their verdicts, whatever the number
    # of items.
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert [i.verdict for i in result.items] == ["pass"] * 3
    assert verdict(world, "approved") == first and stored(world, "approved").pk == row.pk


def test_precompute_fills_the_verdicts_of_every_approved_request(world) -> None:
    GateVerdict.objects.all().delete()
    assert precompute_verdicts() >= 4
    assert stored(world, "approved").data["approvals"][0]["team_slug"] == world.company.team.slug
    assert precompute_verdicts() == 0  # every one current


def test_taking_the_teams_permission_away_fails_the_check(world) -> None:
    assert verdict(world, "approved")[0] == "pass"
    remove_perm("catalog.use_modelversion", world.company.team.group, world.versions["approved"])
    assert verdict(world, "approved") == ("fail", {"not_approved": "error"})


def test_a_reopened_request_is_judged_on_its_state_after_the_reopening(world) -> None:
    request = world.versions["approved"].requests.get()
    assert verdict(world, "approved")[0] == "pass"
    # Taken back; its gates pass and its approvals hold, so it is approved again at once.
    approvals.reopen_request(request=request, reason="terms changed", actor=world.admin)
    request.refresh_from_db()
    expected = "pass" if request.state == "approved" else "fail"
    assert verdict(world, "approved")[0] == expected


def test_deprecating_warns_and_retiring_fails(world) -> None:
    version = world.versions["approved"]
    assert verdict(world, "approved") == ("pass", {"approved": "note"})
    sunset = timezone.now() + timedelta(days=20)
    lifecycle.deprecate_version(version=version, actor=world.admin, reason="old", sunset_at=sunset)
    assert verdict(world, "approved") == ("pass", {"approved": "note", "deprecated": "warning"})
    lifecycle.retire_version(version=version, actor=world.admin, reason="gone")
    assert verdict(world, "approved") == ("fail", {"retired": "error"})


def test_the_waiver_expiring_fails_the_check_without_any_task(world) -> None:
    assert verdict(world, "waived")[0] == "pass"
    expiry = world.versions["waived"].waivers.get().expires_at
    assert stored(world, "waived").valid_until == expiry
    outcome, reasons = verdict(world, "waived", at=expiry + timedelta(seconds=1))
    assert (outcome, reasons.get("open_finding")) == ("fail", "error")


def test_revoking_the_waiver_fails_the_check(world) -> None:
    assert verdict(world, "waived")[0] == "pass"
    waiver = world.versions["waived"].waivers.get()
    approvals.revoke_waiver(waiver=waiver, actor=world.company.sam)
    assert verdict(world, "waived")[0] == "fail"


class EverythingIsOdd:
    @hookimpl
    def hubgate_scan_file(self, file):
        return [Finding(code="test.new-rule", severity="high", message="a new rule found this")]


def test_a_new_scan_finding_fails_the_check(
    world, plugin, django_capture_on_commit_callbacks
) -> None:
    assert verdict(world, "approved")[0] == "pass"
    plugin(EverythingIsOdd(), name="new-rule")
    with django_capture_on_commit_callbacks(execute=True):
        queue_scan(blob=world.versions["approved"].files.get().blob, force=True)
    outcome, reasons = verdict(world, "approved")
    assert (outcome, reasons.get("open_finding")) == ("fail", "error")


def test_a_models_license_flags_reach_the_verdict(world) -> None:
    assert verdict(world, "approved")[0] == "pass"
    model = world.versions["approved"].model
    model.commercial_sell = model.commercial_rent = model.commercial_image = False
    model.commercial_rent_civit = False
    model.save()
    assert verdict(world, "approved")[1].get("license_not_compliant") == "error"


def test_a_row_computed_before_a_change_is_never_used(world) -> None:
    verdict(world, "approved")
    row = stored(world, "approved")
    row.data = {**row.data, "approvals": []}  # what a racing, older computation could leave
    row.save()
    assert verdict(world, "approved")[0] == "fail"  # the row is trusted while current …
    invalidate_verdicts([world.versions["approved"].pk])
    assert verdict(world, "approved") == ("pass", {"approved": "note"})  # … and no longer


def test_a_made_up_profile_is_answered_but_not_stored(world) -> None:
    item = CheckItem(hash=world.sha256("approved"))
    (result,) = check_gate(user=world.bot, profile="no-such-use", items=[item]).items
    assert result.verdict == "fail"
    assert not GateVerdict.objects.filter(profile="no-such-use").exists()


def test_a_base_model_license_change_reaches_the_verdict(world) -> None:
    from governance.licensing.models import BaseModelLicense

    assert verdict(world, "approved")[0] == "pass"
    mapping = BaseModelLicense.objects.get(base_model=world.versions["approved"].base_model)
    mapping.license = None  # no single license known any more: legal must review
    mapping.save()
    assert verdict(world, "approved")[1].get("license_not_compliant") == "error"


class NothingIsAllowed:
    @hookimpl
    def hubgate_evaluate_license(self, terms, profile):
        reason = LicenseReason(LicenseVerdict.NON_COMPLIANT, "commercial_use", "§1", "no")
        return LicenseEvaluation(LicenseVerdict.NON_COMPLIANT, (reason,))


def test_a_new_license_evaluator_is_asked_instead_of_the_stored_verdict(world, plugin) -> None:
    assert verdict(world, "approved")[0] == "pass"
    plugin(NothingIsAllowed(), name="strict-legal")
    assert verdict(world, "approved")[1].get("license_not_compliant") == "error"


def test_the_command_computes_what_is_missing(world) -> None:
    from io import StringIO

    from django.core.management import call_command

    GateVerdict.objects.all().delete()
    out = StringIO()
    call_command("gate_verdicts", stdout=out)
    assert GateVerdict.objects.filter(profile=PROFILE).count() >= 3
    assert "computed" in out.getvalue()
    call_command("gate_verdicts", "--stored", stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("0 ")
