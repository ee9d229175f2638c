"""Values of the license hook: permissions, verdicts, terms, intended-use profiles,
evaluations. Re-exported by ``governance.hookspecs``."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Permission(enum.StrEnum):
    """How a license (or a creator's hub flags) treats one right. Compare with :meth:`rank`:
    the stricter of two answers is the one with the higher rank."""

    ALLOWED = "allowed"
    #: Allowed if the listed conditions are met (attribution, passing the license on, …).
    CONDITIONAL = "conditional"
    #: The text is unclear or Hubgate's catalog is not sure: a lawyer must read it.
    REVIEW = "review"
    PROHIBITED = "prohibited"

    @property
    def rank(self) -> int:
        return _PERMISSION_RANK[self]


_PERMISSION_RANK = {
    Permission.ALLOWED: 0,
    Permission.CONDITIONAL: 1,
    Permission.REVIEW: 2,
    Permission.PROHIBITED: 3,
}

#: The rights every license in the catalog is described by, each phrased as a freedom.
LICENSE_TERMS: tuple[str, ...] = (
    "commercial_outputs",  # use generated outputs commercially
    "commercial_use",  # run the model itself for a commercial purpose (production, revenue)
    "hosting",  # offer the model to third parties as a hosted (generation) service
    "sell_model",  # sell or license the model, or merges of it, for a fee
    "derivatives",  # create and share fine-tunes, merges and other derivatives
    "redistribution",  # give copies of the model to third parties
    "relicense_derivatives",  # share derivatives under other terms (no share-alike)
    "train_on_outputs",  # use outputs to train other models
    "use_without_credit",  # use it without crediting the licensor or creator
)


class LicenseVerdict(enum.StrEnum):
    """The answer to "may this team do this with it?". Higher :meth:`rank` is worse."""

    COMPLIANT = "compliant"
    NEEDS_REVIEW = "needs_review"
    NON_COMPLIANT = "non_compliant"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {
    LicenseVerdict.COMPLIANT: 0,
    LicenseVerdict.NEEDS_REVIEW: 1,
    LicenseVerdict.NON_COMPLIANT: 2,
}


@dataclass(frozen=True, slots=True)
class LicenseTerm:
    """What the layers of a version's license say about one right, the strictest winning."""

    #: One of :data:`LICENSE_TERMS`.
    name: str
    permission: Permission
    #: Where the deciding answer comes from, e.g. ``"FLUX.1 [dev] Non-Commercial License v1"``
    #: or ``"CivitAI permission flags"``.
    source: str
    #: The clause that decides, e.g. ``"§2(d) Outputs"`` or ``"allowCommercialUse"``.
    clause: str
    note: str = ""
    #: What must be done for a ``conditional`` right (give a copy of the license, …).
    conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "permission", Permission(self.permission))
        if self.name not in LICENSE_TERMS:
            raise ValueError(f"unknown license term {self.name!r}")


@dataclass(frozen=True, slots=True)
class UseRestriction:
    """One use-based restriction (an OpenRAIL Attachment A item, an acceptable-use policy)."""

    text: str
    source: str
    clause: str


@dataclass(frozen=True, slots=True)
class LicenseRef:
    """A license in play for a version, and why it is in play."""

    key: str
    name: str
    #: The SPDX identifier when the license has one, else ``None``.
    spdx_id: str | None
    version: int
    url: str
    #: ``"base"`` (the base model's license) or ``"declared"`` (the model's own).
    role: str


@dataclass(frozen=True, slots=True)
class EffectiveTerms:
    """A version's terms: its declared license ∩ the creator's hub flags ∩ its base model's
    license. When something could not be established, ``unknown`` says what and why."""

    version_id: int
    model_id: int
    model_name: str
    version_name: str
    model_type: str
    base_model: str
    hub: str
    licenses: tuple[LicenseRef, ...]
    #: One entry per name in :data:`LICENSE_TERMS`.
    terms: Mapping[str, LicenseTerm]
    use_restrictions: tuple[UseRestriction, ...] = ()
    #: Commercial rights end at this annual revenue of the licensee (Stability AI Community).
    revenue_limit_usd: int | None = None
    revenue_clause: str = ""
    #: ISO 3166 codes (and ``"EU"``) where the license does not apply at all.
    excluded_territories: tuple[str, ...] = ()
    territory_clause: str = ""
    #: Why the terms are incomplete (no license known for the base model, …); never empty
    #: means compliant by default.
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IntendedUseProfile:
    """What a team wants to do with a model: the rights its use depends on."""

    slug: str
    name: str
    #: The team the profile belongs to, or ``None`` for a company-wide profile.
    team: str | None
    #: The rights (names from :data:`LICENSE_TERMS`) this use needs.
    needs: frozenset[str]
    #: Whether the team commits to (and passes on) use-based restrictions.
    accepts_use_restrictions: bool
    #: Where the use happens (ISO 3166 codes, ``"EU"``); empty means unknown.
    territories: tuple[str, ...] = ()
    #: The company's annual revenue in USD, or ``None`` when not configured.
    annual_revenue_usd: int | None = None

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(LICENSE_TERMS)
        if unknown:
            raise ValueError(f"unknown license terms in profile {self.slug!r}: {sorted(unknown)}")


@dataclass(frozen=True, slots=True)
class LicenseReason:
    """One reason for a verdict, citing the term and clause that decided it."""

    verdict: LicenseVerdict
    #: A name from :data:`LICENSE_TERMS`, or ``use_restrictions``, ``revenue``,
    #: ``territory``, ``unknown`` (terms not established), ``use`` (nothing restricted
    #: is needed) or ``evaluator`` (an evaluator failed).
    term: str
    clause: str
    message: str
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", LicenseVerdict(self.verdict))


@dataclass(frozen=True, slots=True)
class LicenseEvaluation:
    """An evaluator's answer: a verdict and every reason behind it (at least one)."""

    verdict: LicenseVerdict
    reasons: tuple[LicenseReason, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", LicenseVerdict(self.verdict))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        if not self.reasons:
            raise ValueError("a license evaluation needs at least one reason")
        worst = max((r.verdict for r in self.reasons), key=lambda v: v.rank)
        if worst.rank > self.verdict.rank:
            raise ValueError(f"verdict {self.verdict} is more lenient than its reasons ({worst})")
