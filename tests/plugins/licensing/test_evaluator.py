"""The built-in license evaluator, and the hook's contract: collected, combined fail-closed."""

from __future__ import annotations

import pytest
from django.test import override_settings

from governance.hookspecs import (
    LICENSE_TERMS,
    EffectiveTerms,
    IntendedUseProfile,
    LicenseEvaluation,
    LicenseReason,
    LicenseTerm,
    LicenseVerdict,
    Permission,
    UseRestriction,
    hookimpl,
)
from governance.licensing import selectors
from plugins.licensing import evaluator

C, R, N = LicenseVerdict.COMPLIANT, LicenseVerdict.NEEDS_REVIEW, LicenseVerdict.NON_COMPLIANT


def terms(permission: Permission = Permission.ALLOWED, **overrides) -> EffectiveTerms:
    values = {
        name: LicenseTerm(
            name,
            permission,
            "Test License v1",
            f"§{i}",
            conditions=("do it",) if permission is Permission.CONDITIONAL else (),
        )
        for i, name in enumerate(LICENSE_TERMS, start=1)
    }
    fields = {"terms": values}
    fields.update(overrides)
    return EffectiveTerms(
        version_id=1,
        model_id=1,
        model_name="M",
        version_name="v1",
        model_type="LORA",
        base_model="SDXL 1.0",
        hub="civitai",
        licenses=(),
        **fields,
    )


def profile(*needs: str, **fields) -> IntendedUseProfile:
    values = {"accepts_use_restrictions": True, "territories": ("US",)}
    values.update(fields)
    return IntendedUseProfile("p", "P", None, frozenset(needs), **values)


def test_a_prohibited_right_the_use_needs_is_non_compliant_citing_it() -> None:
    result = evaluator.hubgate_evaluate_license(
        terms=terms(Permission.PROHIBITED), profile=profile("hosting")
    )
    assert result.verdict is N
    (reason,) = [r for r in result.reasons if r.verdict is N]
    assert (reason.term, reason.clause, reason.source) == ("hosting", "§3", "Test License v1")


def test_rights_the_use_does_not_need_do_not_matter() -> None:
    result = evaluator.hubgate_evaluate_license(
        terms=terms(Permission.PROHIBITED), profile=profile()
    )
    assert result.verdict is C
    assert [r.term for r in result.reasons] == ["use_without_credit"]  # the credit obligation


def test_unclear_terms_need_review_and_conditions_become_obligations() -> None:
    assert (
        evaluator.hubgate_evaluate_license(
            terms=terms(Permission.REVIEW), profile=profile("derivatives")
        ).verdict
        is R
    )
    result = evaluator.hubgate_evaluate_license(
        terms=terms(Permission.CONDITIONAL), profile=profile("derivatives")
    )
    assert result.verdict is C
    assert "do it" in result.reasons[0].message


def test_unknown_terms_are_never_compliant() -> None:
    result = evaluator.hubgate_evaluate_license(
        terms=terms(unknown=("no license known",)), profile=profile()
    )
    assert result.verdict is R and result.reasons[0].term == "unknown"


def test_use_restrictions_need_review_unless_the_profile_accepts_them() -> None:
    restricted = terms(use_restrictions=(UseRestriction("No surveillance", "L v1", "§4"),))
    assert evaluator.hubgate_evaluate_license(terms=restricted, profile=profile()).verdict is C
    refused = evaluator.hubgate_evaluate_license(
        terms=restricted, profile=profile(accepts_use_restrictions=False)
    )
    assert refused.verdict is R and "L v1 §4" in refused.reasons[-1].clause


@pytest.mark.parametrize(
    ("revenue", "verdict"), [(None, R), (999_999, C), (1_000_000, N), (50_000_000, N)]
)
def test_a_revenue_limit_applies_to_commercial_uses_only(revenue, verdict) -> None:
    capped = terms(revenue_limit_usd=1_000_000, revenue_clause="§III")
    commercial = profile("commercial_use", annual_revenue_usd=revenue)
    assert evaluator.hubgate_evaluate_license(terms=capped, profile=commercial).verdict is verdict
    research = profile(annual_revenue_usd=revenue)
    assert evaluator.hubgate_evaluate_license(terms=capped, profile=research).verdict is C


@pytest.mark.parametrize(
    ("where", "verdict"),
    [((), R), (("US",), C), (("DE",), N), (("EU",), N), (("UK",), N), (("JP", "KR"), N)],
)
def test_territory_exclusions(where, verdict) -> None:
    excluded = terms(excluded_territories=("EU", "GB", "KR"), territory_clause="Territory")
    result = evaluator.hubgate_evaluate_license(terms=excluded, profile=profile(territories=where))
    assert result.verdict is verdict


@pytest.mark.django_db
def test_hook_hubgate_evaluate_license(plugin) -> None:
    seen = {}

    class Strict:
        @hookimpl
        def hubgate_evaluate_license(self, terms, profile):
            seen["args"] = (terms, profile)
            if "hosting" in profile.needs:
                return LicenseEvaluation(
                    N, (LicenseReason(N, "hosting", "House rule 7", "No SaaS."),)
                )
            return None  # abstain

    plugin(Strict(), name="strict")
    allowed = terms(Permission.ALLOWED)
    outcome = selectors.evaluate(allowed, profile("hosting"))
    assert outcome.verdict is N, "one non-compliant answer wins over the built-in's compliant"
    assert {r.plugin for r in outcome.reasons} == {"strict", "license_terms"}
    assert seen["args"] == (allowed, profile("hosting"))
    assert selectors.evaluate(allowed, profile()).verdict is C, "an abstention changes nothing"


@pytest.mark.django_db
def test_a_failing_or_invalid_evaluator_makes_the_verdict_need_review(plugin) -> None:
    class Broken:
        @hookimpl
        def hubgate_evaluate_license(self, terms, profile):
            raise RuntimeError("license server down")

    class Sloppy:
        @hookimpl
        def hubgate_evaluate_license(self, terms, profile):
            return {"verdict": "compliant"}

    plugin(Broken(), name="broken")
    outcome = selectors.evaluate(terms(), profile())
    assert outcome.verdict is R
    assert any("license server down" in r.reason.message for r in outcome.reasons)
    plugin(Sloppy(), name="sloppy")
    assert any(r.plugin == "sloppy" for r in selectors.evaluate(terms(), profile()).blocking())


@pytest.mark.django_db
def test_an_evaluation_cannot_be_more_lenient_than_its_reasons() -> None:
    with pytest.raises(ValueError, match="more lenient"):
        LicenseEvaluation(C, (LicenseReason(N, "hosting", "§1", "no"),))
    with pytest.raises(ValueError, match="at least one reason"):
        LicenseEvaluation(C, ())


@pytest.mark.django_db
@override_settings(HUBGATE_DISABLED_PLUGINS=["license_terms"])
def test_without_any_evaluator_nothing_is_compliant() -> None:
    outcome = selectors.evaluate(terms(), profile())
    assert outcome.verdict is R
    assert "No license evaluator" in outcome.reasons[0].reason.message
