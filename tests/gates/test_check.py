"""The CI gate check as a service: every verdict, every way of naming an item."""

import pytest

from governance.ci.check import CheckItem, check_gate, gate_reason
from governance.errors import ValidationFailed
from governance.gates.services import GateItem
from tests.gates.world import EXPECTED, OTHER_PROFILE, PROFILE

pytestmark = pytest.mark.django_db


def check(world, *items: CheckItem, profile: str = PROFILE, **kwargs):
    return check_gate(user=world.bot, profile=profile, items=list(items), **kwargs)


def by_hash(world, name: str) -> CheckItem:
    return CheckItem(hash=world.sha256(name), name=f"{name}.safetensors")


def codes(item) -> dict[str, str]:
    return {r.code: r.level for r in item.reasons}


def test_an_approved_file_passes_and_names_the_approval(world) -> None:
    result = check(world, by_hash(world, "approved"))
    (item,) = result.items
    assert (result.outcome, item.verdict) == ("pass", "pass")
    assert codes(item) == {"approved": "note"}
    assert item.version.name == "approved" and item.file.sha256 == world.sha256("approved")


def test_every_verdict_with_its_reasons(world) -> None:
    result = check(world, *(by_hash(world, name) for name in EXPECTED))
    for (name, (verdict, expected)), item in zip(EXPECTED.items(), result.items, strict=True):
        assert (item.verdict, codes(item)) == (verdict, expected), (name, item.reasons)
    assert (result.outcome, result.passed, result.failed) == ("fail", 3, 6)


def test_deprecated_carries_the_sunset_date_and_waived_the_expiry(world) -> None:
    deprecated, waived = check(world, by_hash(world, "deprecated"), by_hash(world, "waived")).items
    (warning,) = [r for r in deprecated.reasons if r.code == "deprecated"]
    sunset = world.versions["deprecated"].deprecation.sunset_at
    assert warning.sunset_at == sunset.isoformat() and f"{sunset:%Y-%m-%d}" in warning.message
    (waiver,) = [r for r in waived.reasons if r.code == "waived_finding"]
    assert waiver.expires_at and waiver.finding_id and waiver.severity == "medium"


def test_the_other_profile_is_judged_on_its_own(world) -> None:
    (item,) = check(world, by_hash(world, "license"), profile=OTHER_PROFILE).items
    assert item.verdict == "pass", item.reasons


def test_unknown_hashes_are_not_in_the_catalog(world) -> None:
    (item,) = check(world, CheckItem(hash="AB" * 32)).items
    assert (item.verdict, codes(item)) == ("fail", {"not_in_catalog": "error"})
    assert item.version is None


def test_items_are_found_by_autov2_id_civitai_url_and_air(world) -> None:
    version = world.versions["approved"]
    model_id, version_id = version.model.external_id, version.external_id
    items = [
        CheckItem(hash=world.sha256("approved")[:10].lower()),
        CheckItem(ref=str(version.pk)),
        CheckItem(ref=f"https://civitai.com/models/{model_id}?modelVersionId={version_id}"),
        CheckItem(ref=f"https://civitai.com/api/download/models/{version_id}"),
        CheckItem(ref=f"urn:air:sdxl:lora:civitai:{model_id}@{version_id}"),
        CheckItem(ref=f"urn:air:sdxl:lora:civitai:{model_id}"),
    ]
    result = check(world, *items)
    assert [i.verdict for i in result.items] == ["pass"] * len(items)
    assert {i.version.id for i in result.items} == {version.pk}
    assert "newest_version" in codes(result.items[-1])


def test_versions_the_caller_cannot_see_are_not_in_the_catalog(world) -> None:
    from governance.catalog.models import Visibility
    from tests.catalog.factories import ModelFileFactory

    private = ModelFileFactory(
        version__model__visibility=Visibility.TEAM,
        version__model__owning_team=world.company.other_team,
    )
    items = [CheckItem(hash=private.sha256), CheckItem(ref=str(private.version_id))]
    assert [codes(i) for i in check(world, *items).items] == [{"not_in_catalog": "error"}] * 2
    as_admin = check_gate(user=world.admin, profile=PROFILE, items=items)
    assert all({"not_approved", "file_not_stored"} <= set(codes(i)) for i in as_admin.items)


def test_bad_items_are_refused_whole(world) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check(world, CheckItem(ref="not-a-reference"), CheckItem(hash="XYZ"), CheckItem())
    assert set(raised.value.errors) == {"items[0]", "items[1]", "items[2]"}


def test_a_deployment_is_recorded_for_each_passing_item_only(world) -> None:
    from governance.usage.models import UsageEvent

    ci = {"repository": "acme/app", "commit": "abc123", "pipeline_url": "https://ci/1"}
    result = check(
        world, by_hash(world, "approved"), by_hash(world, "retired"), record_deployment=True, ci=ci
    )
    passed, failed = result.items
    assert failed.usage_event_id is None
    event = UsageEvent.objects.get(pk=passed.usage_event_id)
    assert (event.kind, event.client, event.user, event.team) == (
        "deployment",
        "ci",
        world.bot,
        world.company.team,
    )
    assert event.metadata == {**ci, "profile": PROFILE, "item": "approved.safetensors"}
    assert event.file.sha256 == world.sha256("approved")


@pytest.mark.parametrize(
    ("item", "code", "level"),
    [
        (GateItem("license", "failed", "no"), "license_not_compliant", "error"),
        (
            GateItem("license", "waived", "ok", expires_at="2030-01-01T00:00:00+00:00"),
            "license_waived",
            "warning",
        ),
        (GateItem("scan", "pending", "wait"), "scan_pending", "error"),
        (GateItem("files", "failed", "missing"), "file_not_stored", "error"),
        (GateItem("scan", "failed", "scan broke"), "scan_error", "error"),
        (GateItem("scan", "quarantined", "bad"), "quarantined", "error"),
        (GateItem("custom", "failed", "nope"), "gate_failed", "error"),
    ],
)
def test_gate_items_map_to_reasons(item, code, level) -> None:
    reason = gate_reason(item)
    assert (reason.code, reason.level) == (code, level)
    assert gate_reason(GateItem("scan", "passed", "fine")) is None
