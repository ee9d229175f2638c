"""Machine-readable license terms: their vocabulary, validation, and the intersection of
layers (declared license ∩ creator's hub flags ∩ base model license) into effective terms.

Pure functions over plain data, so the same code serves the database, the shipped fixture,
the migration that loads it and the table-driven tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from governance.hookspecs import (
    LICENSE_TERMS,
    EffectiveTerms,
    IntendedUseProfile,
    LicenseRef,
    LicenseTerm,
    Permission,
    UseRestriction,
)

#: Each term in plain words, for reasons, reports and forms.
TERM_LABELS: dict[str, str] = {
    "commercial_outputs": "Commercial use of outputs",
    "commercial_use": "Commercial use of the model",
    "hosting": "Hosting as a service",
    "sell_model": "Selling the model or merges",
    "derivatives": "Derivatives and merges",
    "redistribution": "Redistribution",
    "relicense_derivatives": "Derivatives under other terms (no share-alike)",
    "train_on_outputs": "Training other models on outputs",
    "use_without_credit": "Use without credit",
}
TERM_CHOICES = [(name, TERM_LABELS[name]) for name in LICENSE_TERMS]
#: Labels of everything a reason may cite: the terms and the other checks.
REASON_LABELS: dict[str, str] = {
    **TERM_LABELS,
    "use_restrictions": "Use-based restrictions",
    "revenue": "Revenue limit",
    "territory": "Territory",
    "unknown": "Unknown terms",
    "use": "Use",
    "evaluator": "Evaluator",
}
#: Rights whose exercise is commercial: revenue limits apply to them.
COMMERCIAL_TERMS = frozenset({"commercial_outputs", "commercial_use", "hosting", "sell_model"})


def expression(key: str, spdx_id: str | None) -> str:
    """A license's SPDX expression: its SPDX id, or a ``LicenseRef-`` for the others."""
    return spdx_id or f"LicenseRef-hubgate-{key}"


class TermsInvalid(ValueError):
    """A license's terms are not in the catalog's shape; ``errors`` says where."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def validate_terms(terms: Any) -> dict[str, dict[str, Any]]:
    """The terms mapping in canonical form, or :class:`TermsInvalid`.

    A term missing from the mapping is not an error: it is read as "review" (fail closed).
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(terms, Mapping):
        raise TermsInvalid({"terms": ["must be an object mapping term names to permissions"]})
    clean: dict[str, dict[str, Any]] = {}
    for name, value in terms.items():
        if name not in LICENSE_TERMS:
            errors.setdefault(name, []).append(f"unknown term; known: {', '.join(LICENSE_TERMS)}")
            continue
        if not isinstance(value, Mapping):
            errors.setdefault(name, []).append("must be an object")
            continue
        unknown_keys = set(value) - {"permission", "clause", "note", "conditions"}
        if unknown_keys:
            errors.setdefault(name, []).append(f"unknown keys {sorted(unknown_keys)}")
        try:
            permission = Permission(value.get("permission"))
        except ValueError:
            errors.setdefault(name, []).append(
                f"permission must be one of {', '.join(p.value for p in Permission)}"
            )
            continue
        clause = value.get("clause", "")
        if not isinstance(clause, str) or not clause.strip():
            errors.setdefault(name, []).append("cite the clause that decides it")
        conditions = value.get("conditions", [])
        if not isinstance(conditions, list) or not all(isinstance(c, str) for c in conditions):
            errors.setdefault(name, []).append("conditions must be a list of strings")
            conditions = []
        if permission is Permission.CONDITIONAL and not conditions:
            errors.setdefault(name, []).append("a conditional permission lists its conditions")
        clean[name] = {
            "permission": permission.value,
            "clause": str(clause).strip(),
            "note": str(value.get("note", "")),
            "conditions": list(conditions),
        }
    if errors:
        raise TermsInvalid(errors)
    return {name: clean[name] for name in LICENSE_TERMS if name in clean}


def validate_restrictions(restrictions: Any) -> list[dict[str, str]]:
    if not isinstance(restrictions, list):
        raise TermsInvalid({"use_restrictions": ["must be a list of {text, clause}"]})
    clean = []
    for item in restrictions:
        if not (isinstance(item, Mapping) and str(item.get("text", "")).strip()):
            raise TermsInvalid({"use_restrictions": ["every restriction needs a text"]})
        clean.append({"text": str(item["text"]).strip(), "clause": str(item.get("clause", ""))})
    return clean


@dataclass(frozen=True)
class LicenseData:
    """A license as plain data: a database row, a fixture entry or a revision snapshot."""

    key: str
    name: str
    version: int
    terms: Mapping[str, Mapping[str, Any]]
    spdx_id: str = ""
    url: str = ""
    grant_clause: str = ""
    use_restrictions: tuple[Mapping[str, str], ...] = ()
    revenue_limit_usd: int | None = None
    revenue_clause: str = ""
    excluded_territories: tuple[str, ...] = ()
    territory_clause: str = ""
    notice: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LicenseData:
        return cls(
            key=data["key"],
            name=data["name"],
            version=int(data.get("version", 1)),
            terms=data.get("terms", {}),
            spdx_id=data.get("spdx_id", "") or "",
            url=data.get("url", "") or "",
            grant_clause=data.get("grant_clause", "") or "",
            use_restrictions=tuple(data.get("use_restrictions", ())),
            revenue_limit_usd=data.get("revenue_limit_usd"),
            revenue_clause=data.get("revenue_clause", "") or "",
            excluded_territories=tuple(data.get("excluded_territories", ())),
            territory_clause=data.get("territory_clause", "") or "",
            notice=data.get("notice", "") or "",
        )

    @classmethod
    def from_license(cls, obj: Any) -> LicenseData:
        return cls.from_mapping({f: getattr(obj, f) for f in SNAPSHOT_FIELDS} | {"key": obj.key})

    @property
    def label(self) -> str:
        return f"{self.name} (v{self.version})"

    def ref(self, role: str) -> LicenseRef:
        return LicenseRef(self.key, self.name, self.spdx_id or None, self.version, self.url, role)


#: The fields of a license that a revision snapshots (and a change is judged by).
SNAPSHOT_FIELDS = (
    "name",
    "spdx_id",
    "url",
    "summary",
    "grant_clause",
    "version",
    "terms",
    "use_restrictions",
    "revenue_limit_usd",
    "revenue_clause",
    "excluded_territories",
    "territory_clause",
    "notice",
    "sources",
)


def license_layer(lic: LicenseData, *, role: str) -> dict[str, LicenseTerm]:
    """Every term as this license states it; a term it does not state needs review."""
    layer = {}
    for name in LICENSE_TERMS:
        value = lic.terms.get(name)
        if value is None:
            layer[name] = LicenseTerm(
                name,
                Permission.REVIEW,
                lic.label,
                "—",
                note="Hubgate's catalog does not state this term for this license.",
            )
            continue
        layer[name] = LicenseTerm(
            name,
            Permission(value["permission"]),
            lic.label,
            value.get("clause", ""),
            note=value.get("note", ""),
            conditions=tuple(value.get("conditions", ())),
        )
    return layer


@dataclass(frozen=True)
class HubFlags:
    """A creator's permission flags on CivitAI."""

    allow_no_credit: bool = True
    commercial_image: bool = False
    commercial_rent_civit: bool = False
    commercial_rent: bool = False
    commercial_sell: bool = False
    allow_derivatives: bool = True
    allow_different_license: bool = True
    creator: str = ""

    @classmethod
    def of(cls, model: Any) -> HubFlags:
        creator = getattr(model, "creator", None)
        return cls(
            allow_no_credit=model.allow_no_credit,
            commercial_image=model.commercial_image,
            commercial_rent_civit=model.commercial_rent_civit,
            commercial_rent=model.commercial_rent,
            commercial_sell=model.commercial_sell,
            allow_derivatives=model.allow_derivatives,
            allow_different_license=model.allow_different_license,
            creator=creator.username if creator is not None else "",
        )


FLAGS_SOURCE = "CivitAI permission flags"


def flag_layer(flags: HubFlags) -> dict[str, LicenseTerm]:
    """The terms the creator's flags speak to; the others are left to the licenses."""

    def term(name: str, allowed: bool, clause: str, denied_note: str) -> LicenseTerm:
        if allowed:
            return LicenseTerm(name, Permission.ALLOWED, FLAGS_SOURCE, clause)
        return LicenseTerm(name, Permission.PROHIBITED, FLAGS_SOURCE, clause, note=denied_note)

    who = f"The creator ({flags.creator})" if flags.creator else "The creator"
    commercial = "allowCommercialUse"
    layer = {
        "commercial_outputs": term(
            "commercial_outputs",
            flags.commercial_image,
            f"{commercial} includes 'Image'"
            if flags.commercial_image
            else f"{commercial} lacks 'Image'",
            f"{who} does not allow selling or commercially using the images it generates.",
        ),
        # Using the model in a commercial workflow is using its images commercially.
        "commercial_use": term(
            "commercial_use",
            flags.commercial_image,
            f"{commercial} includes 'Image'"
            if flags.commercial_image
            else f"{commercial} lacks 'Image'",
            f"{who} allows no commercial use of what the model generates.",
        ),
        "hosting": term(
            "hosting",
            flags.commercial_rent,
            f"{commercial} includes 'Rent'"
            if flags.commercial_rent
            else f"{commercial} lacks 'Rent'",
            f"{who} does not allow running it on generation services"
            + (" other than CivitAI's own ('RentCivit')." if flags.commercial_rent_civit else "."),
        ),
        "sell_model": term(
            "sell_model",
            flags.commercial_sell,
            f"{commercial} includes 'Sell'"
            if flags.commercial_sell
            else f"{commercial} lacks 'Sell'",
            f"{who} does not allow selling the model or merges of it.",
        ),
        "derivatives": term(
            "derivatives",
            flags.allow_derivatives,
            f"allowDerivatives={flags.allow_derivatives}",
            f"{who} does not allow sharing merges or derivatives of it.",
        ),
        "relicense_derivatives": term(
            "relicense_derivatives",
            flags.allow_different_license,
            f"allowDifferentLicense={flags.allow_different_license}",
            f"{who} requires merges and derivatives to keep these same permissions.",
        ),
        "use_without_credit": term(
            "use_without_credit",
            flags.allow_no_credit,
            f"allowNoCredit={flags.allow_no_credit}",
            f"{who} must be credited when the model is used.",
        ),
    }
    return layer


def intersect(layers: Iterable[Mapping[str, LicenseTerm]]) -> dict[str, LicenseTerm]:
    """The strictest answer per term; equally strict layers are all cited."""
    layers = list(layers)
    result = {}
    for name in LICENSE_TERMS:
        answers = [layer[name] for layer in layers if name in layer]
        if not answers:
            result[name] = LicenseTerm(
                name, Permission.REVIEW, "—", "—", note="No license establishes this term."
            )
            continue
        worst = max(a.permission.rank for a in answers)
        deciding = [a for a in answers if a.permission.rank == worst]
        conditions = tuple(
            dict.fromkeys(
                c for a in answers if a.permission is Permission.CONDITIONAL for c in a.conditions
            )
        )
        result[name] = LicenseTerm(
            name,
            deciding[0].permission,
            "; ".join(dict.fromkeys(a.source for a in deciding)),
            "; ".join(dict.fromkeys(a.clause for a in deciding if a.clause)),
            note=" ".join(dict.fromkeys(a.note for a in deciding if a.note)),
            conditions=conditions if worst <= Permission.CONDITIONAL.rank else (),
        )
    return result


@dataclass(frozen=True)
class VersionFacts:
    """What the terms depend on besides the licenses: the version and its model."""

    version_id: int
    model_id: int
    model_name: str
    version_name: str
    model_type: str
    base_model: str
    hub: str
    flags: HubFlags | None = None
    #: Why a layer is missing (no declared license on a hub that declares one, …).
    unknown: tuple[str, ...] = field(default=())


def effective_terms(
    facts: VersionFacts, *, base: LicenseData | None, declared: LicenseData | None
) -> EffectiveTerms:
    """Declared license ∩ hub flags ∩ base license; anything missing is in ``unknown``."""
    licenses: list[tuple[LicenseData, str]] = []
    if declared is not None:
        licenses.append((declared, "declared"))
    if base is not None and (declared is None or base.key != declared.key):
        licenses.append((base, "base"))
    layers = [license_layer(lic, role=role) for lic, role in licenses]
    if facts.flags is not None:
        layers.append(flag_layer(facts.flags))
    restrictions = tuple(
        dict.fromkeys(
            UseRestriction(r["text"], lic.label, r.get("clause", ""))
            for lic, _ in licenses
            for r in lic.use_restrictions
        )
    )
    limits = [(lic.revenue_limit_usd, lic) for lic, _ in licenses if lic.revenue_limit_usd]
    limit = min(limits, key=lambda pair: pair[0]) if limits else None
    territories = tuple(sorted({t for lic, _ in licenses for t in lic.excluded_territories}))
    territory_clause = "; ".join(
        f"{lic.label} {lic.territory_clause}".strip()
        for lic, _ in licenses
        if lic.excluded_territories
    )
    return EffectiveTerms(
        version_id=facts.version_id,
        model_id=facts.model_id,
        model_name=facts.model_name,
        version_name=facts.version_name,
        model_type=facts.model_type,
        base_model=facts.base_model,
        hub=facts.hub,
        licenses=tuple(lic.ref(role) for lic, role in licenses),
        terms=intersect(layers),
        use_restrictions=restrictions,
        revenue_limit_usd=limit[0] if limit else None,
        revenue_clause=f"{limit[1].label} {limit[1].revenue_clause}".strip() if limit else "",
        excluded_territories=territories,
        territory_clause=territory_clause,
        unknown=facts.unknown,
    )


def fingerprint(terms: EffectiveTerms, profile: IntendedUseProfile) -> str:
    """A hash of everything a verdict depends on: a legal decision holds while it is equal."""
    data = {
        "licenses": [(r.key, r.version) for r in terms.licenses],
        "terms": {name: asdict(term) for name, term in sorted(terms.terms.items())},
        "restrictions": [asdict(r) for r in terms.use_restrictions],
        "revenue": terms.revenue_limit_usd,
        "territories": list(terms.excluded_territories),
        "unknown": list(terms.unknown),
        "profile": {
            "needs": sorted(profile.needs),
            "accepts": profile.accepts_use_restrictions,
            "territories": sorted(profile.territories),
            "revenue": profile.annual_revenue_usd,
        },
    }
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(encoded).hexdigest()
