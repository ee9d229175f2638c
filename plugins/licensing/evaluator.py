"""The built-in license evaluator: does a version's effective terms grant what a use needs?

For every right the intended use needs, the strictest term decides: prohibited is
non-compliant, "review" needs a lawyer, conditional is compliant with the conditions as
obligations. Unknown terms, use-based restrictions the team does not accept, a revenue
limit the company's revenue is not known against, and a territory the use is not known to
be outside of all need review. Every reason cites the term, the source and the clause.
"""

from __future__ import annotations

from governance.hookspecs import (
    LICENSE_TERMS,
    EffectiveTerms,
    IntendedUseProfile,
    LicenseEvaluation,
    LicenseReason,
    LicenseVerdict,
    Permission,
    hookimpl,
)

LABELS = {
    "commercial_outputs": "Commercial use of outputs",
    "commercial_use": "Commercial use of the model",
    "hosting": "Hosting as a service",
    "sell_model": "Selling the model or merges",
    "derivatives": "Sharing derivatives and merges",
    "redistribution": "Redistribution",
    "relicense_derivatives": "Licensing derivatives under other terms",
    "train_on_outputs": "Training other models on outputs",
    "use_without_credit": "Use without credit",
}
COMMERCIAL = frozenset({"commercial_outputs", "commercial_use", "hosting", "sell_model"})
EU_MEMBERS = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)

C, R, N = LicenseVerdict.COMPLIANT, LicenseVerdict.NEEDS_REVIEW, LicenseVerdict.NON_COMPLIANT


def _regions(codes: tuple[str, ...]) -> set[str]:
    """Territory codes with the EU expanded to its members (and members implying the EU)."""
    regions = {c.strip().upper() for c in codes if c.strip()}
    if "EU" in regions:
        regions |= EU_MEMBERS
    if regions & EU_MEMBERS:
        regions.add("EU")
    if "UK" in regions:
        regions.add("GB")
    return regions


def _term_reason(terms: EffectiveTerms, name: str) -> LicenseReason:
    term = terms.terms[name]
    label = LABELS[name]
    detail = f" {term.note}" if term.note else ""
    if term.permission is Permission.PROHIBITED:
        return LicenseReason(N, name, term.clause, f"{label} is not allowed.{detail}", term.source)
    if term.permission is Permission.REVIEW:
        return LicenseReason(
            R,
            name,
            term.clause,
            f"{label}: the terms are unclear and need legal review.{detail}",
            term.source,
        )
    if term.permission is Permission.CONDITIONAL:
        conditions = "; ".join(term.conditions)
        return LicenseReason(
            C, name, term.clause, f"{label} is allowed on conditions: {conditions}.", term.source
        )
    return LicenseReason(C, name, term.clause, f"{label} is allowed.{detail}", term.source)


@hookimpl
def hubgate_evaluate_license(
    terms: EffectiveTerms, profile: IntendedUseProfile
) -> LicenseEvaluation:
    reasons: list[LicenseReason] = [
        LicenseReason(R, "unknown", "—", f"The license terms are not established: {why}")
        for why in terms.unknown
    ]
    for name in LICENSE_TERMS:
        if name in profile.needs:
            reasons.append(_term_reason(terms, name))

    credit = terms.terms["use_without_credit"]
    if "use_without_credit" not in profile.needs and credit.permission in (
        Permission.PROHIBITED,
        Permission.CONDITIONAL,
    ):
        reasons.append(
            LicenseReason(
                C,
                "use_without_credit",
                credit.clause,
                f"Credit is required and the team gives it (NOTICE file): {credit.note}",
                credit.source,
            )
        )

    if terms.use_restrictions:
        by_source: dict[str, list[str]] = {}
        for r in terms.use_restrictions:
            by_source.setdefault(r.source, [])
            if r.clause and r.clause not in by_source[r.source]:
                by_source[r.source].append(r.clause)
        sources = "; ".join(f"{s} {', '.join(c)}".strip() for s, c in by_source.items())
        if profile.accepts_use_restrictions:
            reasons.append(
                LicenseReason(
                    C,
                    "use_restrictions",
                    sources,
                    f"{len(terms.use_restrictions)} use-based restriction(s) apply; the team "
                    "accepts them and passes them on to its users.",
                )
            )
        else:
            reasons.append(
                LicenseReason(
                    R,
                    "use_restrictions",
                    sources,
                    "Use-based restrictions apply and this intended use does not accept them: a "
                    "lawyer must check the use against each of them.",
                )
            )

    commercial = sorted(profile.needs & COMMERCIAL)
    if terms.revenue_limit_usd is not None and commercial:
        limit = f"USD {terms.revenue_limit_usd:,}"
        if profile.annual_revenue_usd is None:
            reasons.append(
                LicenseReason(
                    R,
                    "revenue",
                    terms.revenue_clause,
                    f"Commercial rights end at {limit} annual revenue and the company's revenue is "
                    "not configured (HUBGATE_ANNUAL_REVENUE_USD).",
                )
            )
        elif profile.annual_revenue_usd >= terms.revenue_limit_usd:
            reasons.append(
                LicenseReason(
                    N,
                    "revenue",
                    terms.revenue_clause,
                    f"Commercial rights end at {limit} annual revenue; the company's revenue "
                    f"(USD {profile.annual_revenue_usd:,}) needs an enterprise license.",
                )
            )
        else:
            reasons.append(
                LicenseReason(
                    C,
                    "revenue",
                    terms.revenue_clause,
                    f"The company's revenue is below the {limit} limit for commercial use.",
                )
            )

    if terms.excluded_territories:
        excluded = ", ".join(terms.excluded_territories)
        if not profile.territories:
            reasons.append(
                LicenseReason(
                    R,
                    "territory",
                    terms.territory_clause,
                    f"The license does not apply in {excluded}; this intended use does not say "
                    "where the model is used.",
                )
            )
        elif _regions(profile.territories) & _regions(terms.excluded_territories):
            reasons.append(
                LicenseReason(
                    N,
                    "territory",
                    terms.territory_clause,
                    f"The license does not apply in {excluded}, where this use happens "
                    f"({', '.join(profile.territories)}).",
                )
            )
        else:
            reasons.append(
                LicenseReason(
                    C,
                    "territory",
                    terms.territory_clause,
                    f"The use happens outside {excluded}, where the license does not apply.",
                )
            )

    if not reasons:
        grants = "; ".join(f"{ref.name} v{ref.version}" for ref in terms.licenses) or "—"
        reasons.append(
            LicenseReason(
                C,
                "use",
                grants,
                "This use needs none of the rights the licenses restrict, and no restriction "
                "applies to it.",
            )
        )
    verdict = max((r.verdict for r in reasons), key=lambda v: v.rank)
    return LicenseEvaluation(verdict, tuple(reasons))
