"""The composite quality score of a version: the scorers' stored scores, weighted.

Each scorer plugin writes one :class:`~governance.catalog.models.VersionScore` per version
through the catalog's refresh path. The composite is their weighted *power mean*
(``HUBGATE_QUALITY_POWER``; the default -2 is below the harmonic mean, so one weak part
drags the whole down far more than in an arithmetic mean — a well documented model that
nobody keeps is not a good model) over the metrics that have a value; a missing metric is
said, not guessed. Weights come from ``HUBGATE_QUALITY_WEIGHTS`` over :data:`DEFAULT_WEIGHTS`
(a metric without a weight counts with ``default``). A metric with weight 0 is still shown,
as context, but does not move the value. Security is a ceiling as well as a part: a version
whose files have dangerous findings cannot score above its security score.

:data:`DEFAULT_WEIGHTS` and :data:`DEFAULT_POWER` were tuned on the TRAIN split of the
shipped quality labels only (``demo.evaluation.recommendations.tune_quality``: coordinate ascent;
``benchmarks/bench_recommendations.py`` re-runs it and reports train and held-out TEST AUC).
Community rating, documentation depth, license clarity, momentum and commercial rights
got weight 0 there (on these labels they did not separate good from bad versions; see the
README); they are still shown with every composite, as context.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from governance.catalog.models import ModelVersion, VersionScore

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "engagement": 0.40,
    "security": 0.40,
    "availability": 0.40,
    "metadata_completeness": 0.20,
    "preview_coverage": 0.05,
    "documentation_depth": 0.0,
    "community_quality": 0.0,
    "license_clarity": 0.0,
    "momentum": 0.0,
    "commercial_rights": 0.0,
    "default": 0.10,
}
#: The power mean's exponent: 1 arithmetic, 0 geometric, -1 harmonic.
DEFAULT_POWER = -2.0
#: Values are floored here before a geometric or negative-power mean (log 0 / 1/0).
FLOOR = 0.01
#: Below this security score the composite is capped at the security score.
SECURITY_CEILING_BELOW = 0.5
LABELS = {
    "community_quality": "community",
    "security": "security",
    "metadata_completeness": "documentation",
    "license_clarity": "license",
    "momentum": "momentum",
    "engagement": "engagement",
    "documentation_depth": "documentation depth",
    "availability": "availability",
    "commercial_rights": "commercial rights",
    "preview_coverage": "previews",
}


@dataclass(frozen=True, slots=True)
class QualityPart:
    name: str
    value: float
    weight: float
    explanation: str


@dataclass(frozen=True, slots=True)
class CompositeQuality:
    """A version's composite quality in [0, 1] (``None`` when nothing is scored yet)."""

    version_id: int
    value: float | None
    parts: tuple[QualityPart, ...]
    #: Metrics whose scorer failed or abstained, by name or plugin.
    missing: tuple[str, ...]
    explanation: str
    #: Scores shown for context that do not move ``value`` (their weight is 0).
    context: tuple[QualityPart, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id,
            "value": self.value,
            "explanation": self.explanation,
            "parts": [
                {"name": p.name, "value": p.value, "weight": p.weight, "explanation": p.explanation}
                for p in self.parts
            ],
            "missing": list(self.missing),
            "context": [
                {"name": p.name, "value": p.value, "weight": 0.0, "explanation": p.explanation}
                for p in self.context
            ],
        }


def quality_weights() -> dict[str, float]:
    configured = getattr(settings, "HUBGATE_QUALITY_WEIGHTS", None) or {}
    return {**DEFAULT_WEIGHTS, **configured}


def quality_power() -> float:
    return float(getattr(settings, "HUBGATE_QUALITY_POWER", DEFAULT_POWER))


def power_mean(parts: Iterable[tuple[float, float]], power: float) -> float:
    """Weighted power mean of ``(value, weight)`` pairs (values floored at :data:`FLOOR`
    unless ``power`` is positive)."""
    pairs = [(v if power > 0 else max(v, FLOOR), w) for v, w in parts]
    total = sum(w for _, w in pairs)
    if power == 0:
        return math.exp(sum(w * math.log(v) for v, w in pairs) / total)
    mean = sum(w * v**power for v, w in pairs) / total
    return mean ** (1 / power)


def combine(
    version_id: int,
    scores: Iterable[tuple[str, str, float | None, str]],
    *,
    weights: Mapping[str, float] | None = None,
    power: float | None = None,
) -> CompositeQuality:
    """Fold ``(plugin, name, value, explanation)`` rows into one composite (pure); weights
    and power default to the settings'. Given ``weights`` are complete: a metric they do
    not name counts with their ``"default"``, else not at all."""
    weights = {"default": 0.0, **weights} if weights is not None else quality_weights()
    power = quality_power() if power is None else power
    parts: list[QualityPart] = []
    context: list[QualityPart] = []
    missing: list[str] = []
    for plugin, name, value, explanation in scores:
        if value is None:
            missing.append(name or plugin)
            continue
        weight = float(weights.get(name, weights["default"]))
        (parts if weight > 0 else context).append(
            QualityPart(name, float(value), max(weight, 0.0), explanation)
        )
    parts.sort(key=lambda p: (-p.weight, p.name))
    context.sort(key=lambda p: p.name)
    if not parts:
        why = (
            "Every scorer failed: " + ", ".join(missing)
            if missing
            else "No weighted metric scored yet."
            if context
            else "Not scored yet."
        )
        return CompositeQuality(version_id, None, (), tuple(missing), why, tuple(context))
    value = min(1.0, power_mean(((p.value, p.weight) for p in parts), power))
    notes = []
    security = next((p for p in parts if p.name == "security"), None)
    if security is not None and security.value < SECURITY_CEILING_BELOW and value > security.value:
        value = security.value
        notes.append("capped by its security score")
    shown = ", ".join(f"{LABELS.get(p.name, p.name)} {p.value:.0%}" for p in parts)
    explanation = f"Quality {value:.0%} ({shown})"
    if notes:
        explanation += "; " + "; ".join(notes)
    if missing:
        explanation += "; not scored: " + ", ".join(missing)
    if context:
        explanation += "; for context: " + ", ".join(
            f"{LABELS.get(p.name, p.name)} {p.value:.0%}" for p in context
        )
    weakest = min(parts, key=lambda p: p.value)
    if weakest.value < 0.5 and weakest.explanation:
        explanation += (
            f". Weakest — {LABELS.get(weakest.name, weakest.name)}: {weakest.explanation}"
        )
    return CompositeQuality(
        version_id,
        round(value, 4),
        tuple(parts),
        tuple(missing),
        explanation.rstrip(".") + ".",
        tuple(context),
    )


def composite_quality_for_versions(version_ids: Iterable[int]) -> dict[int, CompositeQuality]:
    """Composite quality of each version (one query); unscored versions map to value None."""
    ids = list(dict.fromkeys(version_ids))
    rows: dict[int, list[tuple[str, str, float | None, str]]] = defaultdict(list)
    for vid, plugin, name, value, explanation in (
        VersionScore.objects.filter(version_id__in=ids)
        .order_by("version_id", "plugin")
        .values_list("version_id", "plugin", "name", "value", "explanation")
    ):
        rows[vid].append((plugin, name, value, explanation))
    return {vid: combine(vid, rows.get(vid, ())) for vid in ids}


def composite_quality(version: ModelVersion) -> CompositeQuality:
    """Composite quality of one version, with its explanation."""
    return composite_quality_for_versions([version.pk])[version.pk]


def composite_quality_for_models(model_ids: Iterable[int]) -> dict[int, CompositeQuality]:
    """Composite quality of each model's newest version (lowest ``index``), two queries."""
    newest: dict[int, int] = {}
    for model_id, version_id in (
        ModelVersion.objects.filter(model_id__in=list(model_ids))
        .order_by("model_id", "index", "-id")
        .values_list("model_id", "id")
    ):
        newest.setdefault(model_id, version_id)
    by_version = composite_quality_for_versions(newest.values())
    return {model_id: by_version[vid] for model_id, vid in newest.items()}
