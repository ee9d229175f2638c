"""The evaluation set for recommendations and quality scoring, and the metrics it is read with.

Everything here is deterministic (seeded) and built on the demo catalog
(``governance/demo/fixtures/demo_catalog.json``); ``manage.py recs_eval_data`` writes it
to ``fixtures/`` and a test checks the shipped files equal a fresh run.

**Interaction logs are simulated, not observed.** Simulated teams, each with a taste (one
or two base-model families, three favorite tags, a lean towards checkpoints or add-ons),
have members who use models over six months (2026-05-01 to 2026-11-01). Each use picks a
model in one of three ways: a *follow-up* (an add-on that fits a checkpoint the member
already uses, 30 %), a *teammate's pick* (a model someone in the team used before, 25 %),
or *taste* (the rest: drawn with probability proportional to
``exp(2·family match + 0.8·shared favorite tags + 0.35·log10 hub downloads + noise)``).
A use is a download (65 %), favorite (15 %), collection add (10 %) or star rating (10 %,
stars from the hub rating with noise, so some are negative feedback); weights follow the
community app's (download 1, favorite 3, collection 2, rating (stars - 3) / 2). The split
is by time: uses before 2026-10-01 train, a member's first uses of new models after it
are held out.

**Quality labels come from a reviewer's rubric, not from the composite score's formula.**
A version is labelled 1 ("a reviewer would take it") unless one of these rules rejects it:
unsafe (a hub scan says Danger or Error, or its primary file is pickle-based), unloved
(fewer than 35 favorites per 1,000 downloads of its model), not judgeable (fewer than two
preview images), withdrawn (the hub lists the model as archived or taken down) or
commercially unusable (the creator does not allow selling generated images).

**Labels and scorers share criteria** — they judge the same things a reviewer would: the
security scorer reads the hub scans and file formats, the engagement scorer favorites per
download, preview_coverage the preview count, availability the archive state and
commercial_rights the commercial flags. They do not share the formula: the rubric is a
veto of hard thresholds, the scorers are continuous (Bayesian-smoothed engagement on a log
scale, previews counted up to four, …) and the composite a weighted power mean whose
weights were tuned on the TRAIN split (:func:`quality_split`) and judged on TEST. A high
AUC therefore says "the composite agrees with this reviewer", not that it found something
the rubric hides from it.
"""

from __future__ import annotations

import json
import math
import random
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from governance.recommendations.compatibility import NOT_ADDON_TYPES, base_model_family
from governance.scoring.quality import combine

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INTERACTIONS_FILE = FIXTURES / "eval_interactions.json"
LABELS_FILE = FIXTURES / "eval_quality_labels.json"
SEED = 20261126
START = datetime(2026, 5, 1, tzinfo=UTC)
SPLIT = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
KIND_WEIGHTS = {"download": 1.0, "favorite": 3.0, "collection": 2.0}
TEAM_COUNT = 30


@dataclass(frozen=True, slots=True)
class Event:
    user: str
    team: str
    #: The CivitAI model id (the demo catalog's ``id``), stable across databases.
    model: int
    kind: str
    weight: float
    at: str


# --- metrics -------------------------------------------------------------------------------


def hit_rate_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """1 if any of the first ``k`` recommendations is relevant, else 0."""
    return 1.0 if relevant & set(ranked[:k]) else 0.0


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary relevance."""
    dcg = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative
    (ties count half). Mann-Whitney U over average ranks."""
    pairs = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        raise ValueError("AUC needs both positive and negative labels")
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2
        rank_sum += average_rank * sum(label for _, label in pairs[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


# --- the simulation ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    id: int
    type: str
    tags: frozenset[str]
    families: frozenset[str]
    downloads: int
    rating: float


def _items(catalog: Iterable[Mapping[str, Any]]) -> list[_Item]:
    items = []
    for doc in catalog:
        families = {base_model_family(v["baseModel"]) for v in doc["modelVersions"]} - {None}
        items.append(
            _Item(
                id=doc["id"],
                type=doc["type"],
                tags=frozenset(t.lower() for t in doc.get("tags", [])),
                families=frozenset(families),
                downloads=doc.get("stats", {}).get("downloadCount", 0),
                rating=doc.get("stats", {}).get("rating", 0.0) or 4.0,
            )
        )
    return sorted(items, key=lambda i: i.id)


def simulate_interactions(catalog: Sequence[Mapping[str, Any]], *, seed: int = SEED) -> list[Event]:
    """The simulated interaction log (see the module docstring), oldest first."""
    rng = random.Random(seed)
    items = _items(catalog)
    by_family: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        for family in item.families:
            by_family[family].append(item)
    families = sorted(f for f, found in by_family.items() if len(found) >= 4)
    family_weights = [len(by_family[f]) for f in families]
    span = (END - START).total_seconds()
    events: list[Event] = []
    for t in range(TEAM_COUNT):
        team = f"team-{t:02d}"
        liked = set(rng.choices(families, weights=family_weights, k=rng.choice([1, 2])))
        pool_tags = sorted({tag for f in liked for i in by_family[f] for tag in i.tags})
        tags = set(rng.sample(pool_tags, k=min(3, len(pool_tags))))
        addon_lean = rng.uniform(0.2, 0.8)
        team_used: list[int] = []
        members = [f"{team}-u{n}" for n in range(rng.randint(3, 6))]
        # Each member's uses over the six months, interleaved in time across the team.
        schedule = sorted(
            (rng.random() * span, member) for member in members for _ in range(rng.randint(8, 24))
        )
        used: dict[str, list[_Item]] = defaultdict(list)
        for offset, member in schedule:
            item = _pick(rng, items, liked, tags, addon_lean, used[member], team_used)
            kind = rng.choices(["download", "favorite", "collection", "rating"], [65, 15, 10, 10])[
                0
            ]
            if kind == "rating":
                stars = max(1, min(5, round(item.rating + rng.gauss(-0.4, 1.1))))
                weight = (stars - 3) / 2
            else:
                weight = KIND_WEIGHTS[kind]
            at = (START + timedelta(seconds=round(offset))).isoformat()
            events.append(Event(member, team, item.id, kind, weight, at))
            used[member].append(item)
            team_used.append(item.id)
    events.sort(key=lambda e: (e.at, e.user, e.model))
    return events


def _pick(
    rng: random.Random,
    items: Sequence[_Item],
    liked: set[str],
    tags: set[str],
    addon_lean: float,
    mine: Sequence[_Item],
    team_used: Sequence[int],
) -> _Item:
    checkpoints = [i for i in mine if i.type == "Checkpoint"]
    roll = rng.random()
    if checkpoints and roll < 0.30:
        base = rng.choice(checkpoints)
        fitting = [i for i in items if i.type not in NOT_ADDON_TYPES and i.families & base.families]
        if fitting:
            return rng.choice(fitting)
    if team_used and roll < 0.55:
        chosen = rng.choice(team_used)
        return next(i for i in items if i.id == chosen)
    weights = []
    for item in items:
        affinity = 2.0 * bool(item.families & liked) + 0.8 * len(item.tags & tags)
        affinity += 0.35 * math.log10(1 + item.downloads) + rng.gauss(0, 0.5)
        lean = addon_lean if item.type not in NOT_ADDON_TYPES else 1 - addon_lean
        weights.append(math.exp(affinity) * (0.5 + lean))
    return rng.choices(items, weights=weights)[0]


def split(events: Sequence[Event]) -> tuple[list[Event], dict[str, set[int]]]:
    """Train events (before :data:`SPLIT`) and, per user, the models they first used after
    it (held out); users without both are left out of the test set."""
    train = [e for e in events if e.at < SPLIT.isoformat()]
    seen: dict[str, set[int]] = defaultdict(set)
    for e in train:
        seen[e.user].add(e.model)
    test: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.at >= SPLIT.isoformat() and e.weight > 0 and e.model not in seen[e.user]:
            test[e.user].add(e.model)
    return train, {u: found for u, found in test.items() if seen[u]}


# --- quality labels ------------------------------------------------------------------------


def quality_labels(catalog: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One label per version of the catalog by the reviewer's rubric (module docstring)."""
    labels = []
    for doc in catalog:
        stats = doc.get("stats", {})
        per_mille = 1000 * stats.get("favoriteCount", 0) / max(1, stats.get("downloadCount", 0))
        commercial_images = "Image" in (doc.get("allowCommercialUse") or [])
        for version in doc["modelVersions"]:
            files = version.get("files", [])
            primary = next((f for f in files if f.get("primary")), files[0] if files else None)
            reasons = []
            if any(
                f.get(k) in {"Danger", "Error"}
                for f in files
                for k in ("pickleScanResult", "virusScanResult")
            ):
                reasons.append("a hub scan found danger or failed")
            if primary and (primary.get("metadata") or {}).get("format") == "PickleTensor":
                reasons.append("primary file is pickle-based")
            if per_mille < 35:
                reasons.append(f"{per_mille:.1f} favorites per 1,000 downloads")
            if len(version.get("images") or []) < 2:
                reasons.append("fewer than two preview images")
            if doc.get("mode"):
                reasons.append(f"the hub lists the model as {doc['mode']}")
            if not commercial_images:
                reasons.append("generated images may not be sold")
            labels.append(
                {
                    "version": version["id"],
                    "model": doc["id"],
                    "label": int(not reasons),
                    "reasons": reasons,
                }
            )
    return sorted(labels, key=lambda row: row["version"])


# --- tuning the composite on TRAIN, judging it on TEST -------------------------------------

#: Weights the tuner may give a metric, and the power means it may choose between.
WEIGHT_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
POWER_GRID = (1.0, 0.0, -1.0, -2.0)


def is_test_model(model: int) -> bool:
    """The quality labels' held-out TEST split: about a third of the *models* (CRC-32 of
    the CivitAI model id mod 3 == 0), so versions of one model — which share its favorites,
    license and archive state — never sit on both sides."""
    return zlib.crc32(str(model).encode()) % 3 == 0


def quality_split(labels: Sequence[Mapping[str, Any]]) -> tuple[list, list]:
    """(train, test) label rows, split by :func:`is_test_model`."""
    train = [r for r in labels if not is_test_model(r["model"])]
    test = [r for r in labels if is_test_model(r["model"])]
    return train, test


Rows = Sequence[tuple[Sequence[tuple[str, str, float | None, str]], int]]


def composite_values(rows: Rows, weights: Mapping[str, float], power: float) -> list[float]:
    """The composite (as :func:`quality.combine` computes it) of each row's scores."""
    values = []
    for scores, _ in rows:
        value = combine(0, scores, weights=weights, power=power).value
        values.append(0.0 if value is None else value)
    return values


def tune_quality(train: Rows, metrics: Sequence[str]) -> tuple[dict[str, float], float, float]:
    """Weights and power mean maximising AUC on ``train`` — ``(scores, label)`` rows of the
    TRAIN split only: coordinate ascent over :data:`WEIGHT_GRID` from equal weights, four
    sweeps, for each power in :data:`POWER_GRID` (ties go to the earlier, simpler power).
    Returns (weights, power, train AUC)."""
    truth = [label for _, label in train]
    best: tuple[dict[str, float], float, float] | None = None
    for power in POWER_GRID:
        weights = {m: 0.1 for m in metrics} | {"default": 0.0}
        score = auc(composite_values(train, weights, power), truth)
        for _ in range(4):
            for metric in metrics:
                for w in WEIGHT_GRID:
                    trial = {**weights, metric: w}
                    if not any(trial[m] for m in metrics):
                        continue
                    found = auc(composite_values(train, trial, power), truth)
                    if found > score + 1e-9:
                        score, weights = found, trial
        if best is None or score > best[2] + 1e-9:
            best = (weights, power, score)
    assert best is not None
    return best


def accuracy(scores: Sequence[float], labels: Sequence[int], threshold: float) -> float:
    """Share of versions where "score >= threshold" agrees with the label."""
    hits = sum((s >= threshold) == bool(label) for s, label in zip(scores, labels, strict=True))
    return hits / len(labels)


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> float:
    """The threshold (one of ``scores``) with the best accuracy; lowest on ties. Choose it on
    TRAIN and report accuracy on TEST with it."""
    return max(sorted(set(scores)), key=lambda t: (accuracy(scores, labels, t), -t))


# --- files ---------------------------------------------------------------------------------


def build(catalog: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two fixture documents, ready to be written as JSON."""
    events = simulate_interactions(catalog)
    interactions = {
        "note": "SIMULATED interaction logs (see governance/demo/evaluation/recommendations.py).",
        "seed": SEED,
        "start": START.isoformat(),
        "split": SPLIT.isoformat(),
        "end": END.isoformat(),
        "events": [asdict(e) for e in events],
    }
    labels = {
        "note": "Quality labels by a reviewer's rubric (governance/demo/evaluation/"
        "recommendations.py), not by the composite score's formula.",
        "labels": quality_labels(catalog),
    }
    return interactions, labels


def write(catalog: Sequence[Mapping[str, Any]]) -> tuple[Path, Path]:
    interactions, labels = build(catalog)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    INTERACTIONS_FILE.write_text(json.dumps(interactions, indent=0) + "\n", encoding="utf-8")
    LABELS_FILE.write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    return INTERACTIONS_FILE, LABELS_FILE


def load_events(path: Path = INTERACTIONS_FILE) -> list[Event]:
    return [Event(**row) for row in json.loads(path.read_text(encoding="utf-8"))["events"]]


def load_labels(path: Path = LABELS_FILE) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["labels"]
