"""The catalog as shipped, and a version's effective terms from the database's layers."""

from __future__ import annotations

import json

import pytest
from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from governance.catalog.models import Hub
from governance.hookspecs import LICENSE_TERMS, LicenseVerdict, Permission
from governance.licensing import selectors, services
from governance.licensing.models import BaseModelLicense, License, LicenseRevision
from governance.licensing.terms import TermsInvalid, validate_terms
from tests.catalog.factories import ModelVersionFactory
from tests.licensing.factories import PERMISSIVE_FLAGS

pytestmark = pytest.mark.django_db
SHIPPED = json.loads(services.CATALOG.read_text(encoding="utf-8"))


def test_the_migration_loads_the_shipped_catalog_with_a_first_revision() -> None:
    assert set(License.objects.values_list("key", flat=True)) == {
        e["key"] for e in SHIPPED["licenses"]
    }
    assert BaseModelLicense.objects.count() == len(SHIPPED["base_models"])
    assert LicenseRevision.objects.filter(version=1).count() == len(SHIPPED["licenses"])
    assert BaseModelLicense.objects.get(base_model="Flux.1 D").license.key == (
        "flux-1-dev-non-commercial"
    )
    assert BaseModelLicense.objects.get(base_model="Other").license is None


@pytest.mark.parametrize("entry", SHIPPED["licenses"], ids=lambda e: e["key"])
def test_every_shipped_license_states_every_term_with_its_clause(entry) -> None:
    terms = validate_terms(entry["terms"])
    assert list(terms) == list(LICENSE_TERMS)
    for name, term in terms.items():
        assert term["clause"].strip(), f"{entry['key']}.{name} cites no clause"
        if term["permission"] in ("review", "prohibited"):
            assert term["note"], f"{entry['key']}.{name} says {term['permission']} without why"
    assert entry["sources"], "where the terms were read"
    if entry["spdx_id"]:
        # A real SPDX identifier, spelled as SPDX spells it.
        assert canonicalize_license_expression(entry["spdx_id"]) == entry["spdx_id"]


def test_licenses_without_an_spdx_id_really_have_none() -> None:
    for key in ("creativeml-openrail-m", "flux-1-dev-non-commercial", "stability-ai-community"):
        with pytest.raises(InvalidLicenseExpression):
            canonicalize_license_expression(License.objects.get(key=key).name)
        assert License.objects.get(key=key).expression == f"LicenseRef-hubgate-{key}"


def test_invalid_terms_are_refused_naming_the_term() -> None:
    with pytest.raises(TermsInvalid) as caught:
        validate_terms(
            {
                "hosting": {"permission": "maybe", "clause": "§1"},
                "selling": {"permission": "allowed", "clause": "§2"},
                "derivatives": {"permission": "conditional", "clause": "§3"},
            }
        )
    assert set(caught.value.errors) == {"hosting", "selling", "derivatives"}


def test_a_lora_on_flux_dev_inherits_non_commercial_whatever_its_creator_allows(profiles):
    lora = ModelVersionFactory(base_model="Flux.1 D", **PERMISSIVE_FLAGS)
    terms = selectors.effective_terms_for(lora)
    assert terms.terms["commercial_use"].permission is Permission.PROHIBITED
    assert "§1(c)" in terms.terms["commercial_use"].clause
    # Outputs are treated differently from the model (§2(d)).
    assert terms.terms["commercial_outputs"].permission is Permission.CONDITIONAL
    status = selectors.license_verdict(version=lora, profile=profiles["commercial-products"])
    assert status.verdict is LicenseVerdict.NON_COMPLIANT
    assert selectors.license_verdict(version=lora, profile=profiles["internal-research"]).passes


def test_the_strictest_layer_decides_and_equally_strict_layers_are_all_cited(profiles) -> None:
    version = ModelVersionFactory(base_model="SDXL 1.0", model__allow_different_license=False)
    term = selectors.effective_terms_for(version).terms["relicense_derivatives"]
    assert term.permission is Permission.PROHIBITED
    assert term.source == "CivitAI permission flags"
    hosting = selectors.effective_terms_for(version).terms["hosting"]
    assert hosting.permission is Permission.PROHIBITED  # no 'Rent' flag beats RAIL++'s §4


def test_a_declared_license_is_intersected_with_the_base_model_license(profiles) -> None:
    version = ModelVersionFactory(base_model="SDXL 1.0", model__hub=Hub.HUGGINGFACE)
    status = selectors.license_verdict(version=version, profile=profiles["internal-research"])
    assert status.verdict is LicenseVerdict.NEEDS_REVIEW, "no declared license on Hugging Face"
    assert "No license is declared" in status.outcome.reasons[0].reason.message
    services.declare_license(
        model=version.model,
        license=License.objects.get(key="cc-by-nc-4.0"),
        actor=None,
        source="model card",
    )
    terms = selectors.effective_terms_for(version)
    assert [r.role for r in terms.licenses] == ["declared", "base"]
    assert terms.terms["commercial_use"].permission is Permission.PROHIBITED  # NC wins
    assert terms.use_restrictions, "the base model's use-based restrictions still apply"
    assert selectors.license_verdict(version=version, profile=profiles["internal-research"]).passes


def test_uploads_carry_their_base_model_license_and_other_needs_a_declared_one(profiles) -> None:
    upload = ModelVersionFactory(base_model="SDXL 1.0", model__hub=Hub.UPLOAD)
    terms = selectors.effective_terms_for(upload)
    assert [r.key for r in terms.licenses] == ["creativeml-openrail-pp-m"] and not terms.unknown
    upscaler = ModelVersionFactory(base_model="Other", **PERMISSIVE_FLAGS)
    assert selectors.effective_terms_for(upscaler).unknown
    services.declare_license(
        model=upscaler.model, license=License.objects.get(key="mit"), actor=None
    )
    terms = selectors.effective_terms_for(upscaler)
    assert not terms.unknown and [r.key for r in terms.licenses] == ["mit"]


def test_an_unmapped_base_model_needs_review(profiles) -> None:
    version = ModelVersionFactory(base_model="SDXL 0.9", **PERMISSIVE_FLAGS)
    status = selectors.license_verdict(version=version, profile=profiles["internal-research"])
    assert status.verdict is LicenseVerdict.NEEDS_REVIEW
    assert "No license is known for the base model 'SDXL 0.9'" in status.summary()
