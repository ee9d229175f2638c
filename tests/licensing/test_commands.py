"""``manage.py licenses``: exit codes 0 compliant, 1 non-compliant, 3 needs review, 2 error."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from governance.licensing.models import License
from tests.catalog.factories import ModelVersionFactory
from tests.licensing.factories import PERMISSIVE_FLAGS

pytestmark = pytest.mark.django_db


def evaluate(*args) -> tuple[int, str]:
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("licenses", "evaluate", *map(str, args), stdout=out)
    return exited.value.code, out.getvalue()


def test_evaluate_exits_with_the_verdict_and_cites_the_clause(profiles) -> None:
    none_commercial = ModelVersionFactory(base_model="SDXL 1.0", model__creator__username="quill")
    code, text = evaluate(none_commercial.pk, "commercial-products")
    assert code == 1
    assert "Verdict: NON COMPLIANT" in text
    assert "allowCommercialUse lacks 'Image'" in text and "quill" in text
    code, text = evaluate(none_commercial.pk, "internal-research")
    assert code == 0 and "Verdict: COMPLIANT" in text
    sd35 = ModelVersionFactory(base_model="SD 3.5 Medium", **PERMISSIVE_FLAGS)
    code, text = evaluate(sd35.pk, "commercial-products")
    assert code == 3 and "USD 1,000,000" in text and "§III Commercial Use License" in text


def test_evaluate_as_json(profiles) -> None:
    version = ModelVersionFactory(base_model="Flux.1 D", **PERMISSIVE_FLAGS)
    code, text = evaluate(version.pk, "commercial-products", "--format", "json")
    body = json.loads(text)
    assert code == 1 and body["verdict"] == "non_compliant" and body["version_id"] == version.pk
    assert {r["term"] for r in body["reasons"]} >= {"commercial_use"}


def test_evaluate_errors_exit_2(profiles) -> None:
    with pytest.raises(CommandError, match="No model version") as caught:
        call_command("licenses", "evaluate", "999999", "internal-research")
    assert caught.value.returncode == 2
    version = ModelVersionFactory()
    with pytest.raises(CommandError, match="known: ") as caught:
        call_command("licenses", "evaluate", str(version.pk), "nope")
    assert caught.value.returncode == 2


def test_sync_is_idempotent_and_update_applies_shipped_terms(profiles) -> None:
    out = StringIO()
    call_command("licenses", "sync", stdout=out)
    assert "created: none" in out.getvalue()
    mit = License.objects.get(key="mit")
    from governance.licensing.services import update_license

    update_license(license=mit, actor=None, changes={"summary": "edited locally"})
    call_command("licenses", "sync", stdout=StringIO())
    assert License.objects.get(key="mit").summary == "edited locally", "sync never overwrites"
    out = StringIO()
    call_command("licenses", "sync", "--update", stdout=out)
    assert "updated: mit" in out.getvalue()
    assert License.objects.get(key="mit").version == 3


def test_report_and_notice_commands(company, stored_version) -> None:
    out = StringIO()
    call_command("licenses", "report", "--team", company.team.slug, "--format", "csv", stdout=out)
    assert out.getvalue().splitlines()[0].startswith("team,request_id")
    out = StringIO()
    call_command("licenses", "notice", company.team.slug, stdout=out)
    assert out.getvalue().startswith("NOTICE — models used by")
    out = StringIO()
    call_command("licenses", "reevaluate", "--license", "mit", stdout=out)
    assert "Re-evaluation queued for {'license': 'mit'}" in out.getvalue()
