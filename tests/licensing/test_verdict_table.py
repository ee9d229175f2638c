"""Every combination of CivitAI permission flags x common base-model licenses x intended-use
profile, with the expected verdict and the reason (term and clause) that decides it.

Two tables say what is expected: what each base model's license says for each profile
(with a creator who allows everything), and which flag each profile depends on. The verdict
of a combination is the worst of the two, and every reason behind it must be in the answer.
The answers come from the real path: the shipped catalog, the intersection of the layers,
and the evaluator plugins through the plugin manager, combined fail-closed.
"""

from __future__ import annotations

import itertools
import json

import pytest

from governance.demo.catalog import load_fixture
from governance.demo.licensing import demo_data
from governance.hookspecs import IntendedUseProfile, LicenseVerdict
from governance.licensing.selectors import evaluate
from governance.licensing.services import CATALOG
from governance.licensing.terms import HubFlags, LicenseData, VersionFacts, effective_terms

C, R, N = LicenseVerdict.COMPLIANT, LicenseVerdict.NEEDS_REVIEW, LicenseVerdict.NON_COMPLIANT
CP, IR, PS, FR = (
    "commercial-products",
    "internal-research",
    "paid-generation-service",
    "fine-tune-and-redistribute",
)

#: base model → profile → (verdict, [(term, clause fragment) of the reasons with that verdict])
#: for a creator who allows everything, revenue not configured, use in the US.
BASE = {
    "SD 1.5": {CP: (C, []), IR: (C, []), PS: (C, []), FR: (C, [])},
    "SD 2.1": {CP: (C, []), IR: (C, []), PS: (C, []), FR: (C, [])},
    "SDXL 1.0": {CP: (C, []), IR: (C, []), PS: (C, []), FR: (C, [])},
    "Flux.1 D": {
        CP: (N, [("commercial_use", "§1(c) 'Non-Commercial Purpose'")]),
        IR: (C, []),
        PS: (N, [("commercial_use", "§1(c)"), ("hosting", "§4(a)(i)")]),
        FR: (
            N,
            [
                ("commercial_use", "§1(c)"),
                ("sell_model", "§2(a)-(b)"),
                ("relicense_derivatives", "§3(d)"),
            ],
        ),
    },
    "Flux.1 S": {CP: (C, []), IR: (C, []), PS: (C, []), FR: (C, [])},
    "Wan Video": {CP: (C, []), IR: (C, []), PS: (C, []), FR: (C, [])},
    "SD 3.5 Large": {
        CP: (R, [("revenue", "§III Commercial Use License")]),
        IR: (C, []),
        PS: (R, [("revenue", "§III")]),
        FR: (R, [("revenue", "§III"), ("relicense_derivatives", "§IV(c)(ii)")]),
    },
    "Hunyuan Video": {
        CP: (C, []),
        IR: (C, []),
        PS: (C, []),
        FR: (R, [("sell_model", "License Rights and Redistribution")]),
    },
    "Pony": {
        CP: (
            R,
            [
                ("commercial_outputs", "Pony Diffusion V6 XL license modification"),
                ("commercial_use", "license modification"),
            ],
        ),
        IR: (C, []),
        PS: (N, [("hosting", "Pony Diffusion V6 XL license modification")]),
        FR: (N, [("relicense_derivatives", "share-alike")]),
    },
    "Illustrious": {
        CP: (R, [("commercial_outputs", "FAIPL-1.0-SD"), ("commercial_use", "FAIPL-1.0-SD")]),
        IR: (C, []),
        PS: (R, [("hosting", "'Notices' (network use)")]),
        FR: (N, [("relicense_derivatives", "FAIPL-1.0-SD (share-alike")]),
    },
    "NoobAI": {
        CP: (
            N,
            [
                ("commercial_outputs", "§II Commercial Prohibition"),
                ("commercial_use", "§II Commercial Prohibition"),
            ],
        ),
        IR: (C, []),
        PS: (N, [("commercial_outputs", "§II"), ("commercial_use", "§II")]),
        FR: (
            N,
            [("commercial_use", "§II"), ("sell_model", "§II"), ("relicense_derivatives", "§III")],
        ),
    },
    "Other": {p: (R, [("unknown", "—")]) for p in (CP, IR, PS, FR)},
}

#: profile → the flags it depends on: (flag, term that fails without it, clause fragment).
FLAG_NEEDS = {
    CP: [
        ("image", "commercial_outputs", "lacks 'Image'"),
        ("image", "commercial_use", "lacks 'Image'"),
    ],
    IR: [],
    PS: [
        ("image", "commercial_outputs", "lacks 'Image'"),
        ("image", "commercial_use", "lacks 'Image'"),
        ("rent", "hosting", "lacks 'Rent'"),
    ],
    FR: [
        ("image", "commercial_use", "lacks 'Image'"),
        ("sell", "sell_model", "lacks 'Sell'"),
        ("derivatives", "derivatives", "allowDerivatives=False"),
        ("different_license", "relicense_derivatives", "allowDifferentLicense=False"),
    ],
}
FLAGS = ["no_credit", "image", "rent_civit", "rent", "sell", "derivatives", "different_license"]
FLAG_COMBINATIONS = [
    dict(zip(FLAGS, values, strict=True))
    for values in itertools.product([False, True], repeat=len(FLAGS))
]


def _catalog() -> tuple[dict[str, LicenseData], dict[str, str | None]]:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    licenses = {entry["key"]: LicenseData.from_mapping(entry) for entry in data["licenses"]}
    bases = {entry["base_model"]: entry["license"] for entry in data["base_models"]}
    return licenses, bases


LICENSES, BASES = _catalog()
PROFILES = {
    entry["slug"]: IntendedUseProfile(
        slug=entry["slug"],
        name=entry["name"],
        team=None,
        needs=frozenset(entry["needs"]),
        accepts_use_restrictions=entry["accepts_use_restrictions"],
        territories=tuple(entry["territories"]),
        annual_revenue_usd=None,
    )
    for entry in demo_data()["intended_uses"]
}


def terms_for(base_model: str, flags: dict[str, bool]):
    key = BASES.get(base_model)
    unknown = () if key else (f"The base model {base_model!r} has no single license.",)
    facts = VersionFacts(
        version_id=1,
        model_id=1,
        model_name="A LoRA",
        version_name="v1",
        model_type="LORA",
        base_model=base_model,
        hub="civitai",
        unknown=unknown,
        flags=HubFlags(
            allow_no_credit=flags["no_credit"],
            commercial_image=flags["image"],
            commercial_rent_civit=flags["rent_civit"],
            commercial_rent=flags["rent"],
            commercial_sell=flags["sell"],
            allow_derivatives=flags["derivatives"],
            allow_different_license=flags["different_license"],
            creator="tester",
        ),
    )
    return effective_terms(facts, base=LICENSES[key] if key else None, declared=None)


def expected(base_model: str, profile: str, flags: dict[str, bool]):
    base_verdict, base_reasons = BASE[base_model][profile]
    flag_reasons = [(term, clause) for flag, term, clause in FLAG_NEEDS[profile] if not flags[flag]]
    flag_verdict = N if flag_reasons else C
    verdict = max(base_verdict, flag_verdict, key=lambda v: v.rank)
    reasons = (base_reasons if base_verdict is verdict else []) + (
        flag_reasons if flag_verdict is verdict else []
    )
    return verdict, reasons


def test_the_tables_cover_the_catalog_and_the_demo_profiles() -> None:
    assert set(PROFILES) == {CP, IR, PS, FR}
    assert set(BASE) - {"Other"} <= {b for b, key in BASES.items() if key}
    demo_bases = {
        version["baseModel"] for item in load_fixture() for version in item["modelVersions"]
    }
    assert demo_bases <= set(BASES), "every base model in the demo catalog has a mapping"
    assert len(FLAG_COMBINATIONS) == 2**7


@pytest.mark.parametrize("profile", [CP, IR, PS, FR])
@pytest.mark.parametrize("base_model", list(BASE))
def test_every_flag_combination_gets_the_expected_verdict_and_reason(
    base_model: str, profile: str
) -> None:
    for flags in FLAG_COMBINATIONS:
        outcome = evaluate(terms_for(base_model, flags), PROFILES[profile])
        verdict, reasons = expected(base_model, profile, flags)
        context = f"{base_model} x {profile} x {flags}"
        assert outcome.verdict is verdict, f"{context}: {[r.reason for r in outcome.reasons]}"
        given = [r.reason for r in outcome.reasons if r.reason.verdict is verdict]
        for term, clause in reasons:
            assert any(r.term == term and clause in r.clause for r in given), (
                f"{context}: no {verdict} reason on {term} citing {clause!r}; got "
                f"{[(r.term, r.clause) for r in given]}"
            )
        assert all(r.clause for r in given), f"{context}: a reason cites no clause"
        if not flags["no_credit"] and BASES.get(base_model):
            assert any(r.reason.term == "use_without_credit" for r in outcome.reasons), (
                f"{context}: the credit obligation is missing"
            )
