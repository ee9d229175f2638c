"""Recommendations: hit-rate@10 and nDCG@10 per recommender against a popularity baseline;
quality: AUC of the composite score against the quality labels. One run, side by side.

The catalog is the demo catalog, seeded into a fresh SQLite database exactly as
``manage.py seed_demo`` does (every scorer plugin runs on every version). The interaction
logs are SIMULATED (governance/demo/evaluation/recommendations.py says how) and split by time:
uses before 2026-10-01 build the item-item matrix (with the same function the Celery task
uses) and each simulated member's history (own use weight 1, teammates' 0.5, as in
production); the models a member first used after the split are what the recommenders
should find. Each recommender is called through the plugin manager with the candidates
production would give it (every model but the member's and their team's history), asked
for 10. "popularity" ranks candidates by how many people used them before the split;
"served (merged)" is what the API returns: every plugin's list merged.

Run: `make bench` or `python benchmarks/bench_recommendations.py`.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import defaultdict
from datetime import datetime

from _demo_db import demo_database

K = 10


def main() -> None:
    started = time.perf_counter()
    demo_database("recs")
    from governance.catalog.models import Model
    from governance.demo.evaluation import recommendations as ev
    from governance.hookspecs import UserSnapshot
    from governance.plugins import call_hook
    from governance.recommendations import selectors
    from governance.recommendations.similarity import (
        baskets,
        item_item_similarity,
        neighbor_tuples,
    )
    from governance.usage.interactions import Interaction

    pk_of = dict(Model.objects.values_list("external_id", "pk"))
    events = [e for e in ev.load_events() if str(e.model) in pk_of]
    train, held_out = ev.split(events)
    model_pk = {e.model: pk_of[str(e.model)] for e in events}

    matrix = item_item_similarity(
        baskets((e.user, e.team, model_pk[e.model], e.weight) for e in train)
    )
    users_of: dict[int, set[str]] = defaultdict(set)
    for e in train:
        users_of[model_pk[e.model]].add(e.user)
    base = selectors.model_snapshots(Model.objects.all())
    snapshots = {
        s.id: dataclasses.replace(
            s, neighbors=neighbor_tuples(matrix, s.id), interaction_count=len(users_of[s.id])
        )
        for s in base
    }
    trend = _trend(train, model_pk, ev.SPLIT.date())
    trend_note = "community trend_score() on train uses" if trend else "n/a (no community app)"
    snapshots = {k: dataclasses.replace(s, trend=trend.get(k, 0.0)) for k, s in snapshots.items()}

    team_of = {e.user: e.team for e in events}
    members: dict[str, set[str]] = defaultdict(set)
    for user, team in team_of.items():
        members[team].add(user)
    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    evaluated = 0
    for n, (user, relevant_civitai) in enumerate(sorted(held_out.items())):
        rows = [
            Interaction(e.user, None, model_pk[e.model], None, "download", e.weight, e.at)
            for e in train
            if e.user in members[team_of[user]]
        ]
        weights = selectors.history_weights(rows, own_actor=("user", user))
        history_ids = [
            m for m, w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])) if w > 0
        ]
        history_ids = history_ids[: selectors.HISTORY_LIMIT]
        relevant = {model_pk[m] for m in relevant_civitai} - set(history_ids)
        if not relevant or not history_ids:
            continue
        evaluated += 1
        snapshot = UserSnapshot(
            id=n + 1,
            username=user,
            team_ids=(),
            history=tuple(snapshots[m] for m in history_ids),
            weights=tuple((m, weights[m]) for m in history_ids),
        )
        candidates = [s for k, s in snapshots.items() if k not in set(history_ids)]
        results = call_hook(
            "hubgate_recommend_for_user",
            validate=selectors.as_recommendations,
            user=snapshot,
            candidates=candidates,
            limit=K,
        )
        ranked = {r.plugin: [rec.model_id for rec in r.value] for r in results if r.ok}
        ranked["served (merged)"] = [
            rec.model_id
            for rec in selectors.merge_recommendations(results, {c.id for c in candidates}, K)
        ]
        ranked["popularity (baseline)"] = [
            c.id
            for c in sorted(
                candidates, key=lambda c: (-c.interaction_count, -c.download_count, c.id)
            )
        ][:K]
        names = {r.plugin for r in ev_plugins(results)} | {
            "served (merged)",
            "popularity (baseline)",
        }
        for name in names:
            got = ranked.get(name, [])
            scores[name].append(
                (ev.hit_rate_at_k(got, relevant, K), ev.ndcg_at_k(got, relevant, K))
            )

    print(
        f"Recommendations: {evaluated} simulated members with held-out uses, "
        f"{len(train)} train events, {len(events) - len(train)} after the split; "
        f"trend: {trend_note}; {sum(1 for s in base if s.embedding)} of {len(base)} models "
        "have a text embedding"
    )
    print(f"{'recommender':<24} {'hit-rate@10':>12} {'nDCG@10':>9} {'answered':>9}")
    baseline = _mean(scores["popularity (baseline)"])
    order = sorted(scores, key=lambda name: -_mean(scores[name])[1])
    for name in order:
        hit, ndcg = _mean(scores[name], evaluated)
        ratio = f"   x{ndcg / baseline[1]:.2f} nDCG vs popularity" if baseline[1] else ""
        print(f"{name:<24} {hit:>12.3f} {ndcg:>9.3f} {len(scores[name]):>9}{ratio}")

    _quality(ev)
    _latency(Model)
    print(
        f"\n(load average {os.getloadavg()[0]:.1f} on a shared machine; "
        f"{time.perf_counter() - started:.0f} s in all)"
    )


def _quality(ev) -> None:
    """AUC (and accuracy at a threshold) of the composite against the quality labels, on
    the TRAIN split the shipped weights were tuned on and on the held-out TEST split; the
    tuner is re-run on TRAIN here so the shipped weights can be checked."""
    from governance.catalog.models import ModelVersion, VersionScore
    from governance.scoring.quality import (
        DEFAULT_WEIGHTS,
        quality_power,
        quality_weights,
    )

    pk_of_version = dict(ModelVersion.objects.values_list("external_id", "pk"))
    scores: dict[int, list] = defaultdict(list)
    for row in VersionScore.objects.order_by("version_id", "plugin").values_list(
        "version_id", "plugin", "name", "value", "explanation"
    ):
        scores[row[0]].append(row[1:])
    labelled = {
        name: [
            (pk_of_version[str(r["version"])], r["label"])
            for r in part
            if str(r["version"]) in pk_of_version
        ]
        for name, part in zip(("train", "test"), ev.quality_split(ev.load_labels()), strict=True)
    }
    splits = {name: [(scores[pk], lab) for pk, lab in rows] for name, rows in labelled.items()}
    metrics = sorted({name for rows in splits.values() for s, _ in rows for _, name, _, _ in s})
    print(
        "\nQuality: "
        + ", ".join(
            f"{name} {len(rows)} labelled versions ({sum(lab for _, lab in rows)} positive)"
            for name, rows in splits.items()
        )
        + "; split by model (CRC-32 of the hub id mod 3); AUC 0.5 = chance"
    )
    started = time.perf_counter()
    tuned, tuned_power, _ = ev.tune_quality(splits["train"], metrics)
    shown = {k: v for k, v in tuned.items() if v and k != "default"}
    print(
        f"Re-tuned on TRAIN ({time.perf_counter() - started:.1f} s): power {tuned_power:g}, "
        f"weights {shown}"
    )
    shipped = {k: v for k, v in DEFAULT_WEIGHTS.items() if v and k != "default"}
    ablations = {}
    for left_out in sorted(shipped):
        weights, power, _ = ev.tune_quality(splits["train"], [m for m in metrics if m != left_out])
        ablations[f"re-tuned without {left_out}"] = (weights, power)
    print(f"Shipped defaults: power {quality_power():g}, weights {shipped}")

    def metric_alone(metric):
        return lambda rows: [
            next((v for _, n, v, _ in s if n == metric and v is not None), 0.5) for s, _ in rows
        ]

    rating = dict(ModelVersion.objects.values_list("pk", "rating"))
    rows = {
        "composite (shipped)": lambda r: ev.composite_values(r, quality_weights(), quality_power()),
        "composite (re-tuned)": lambda r: ev.composite_values(r, tuned, tuned_power),
        "composite (old weights, mean)": lambda r: ev.composite_values(r, OLD_WEIGHTS, 1.0),
        **{
            f"  {name}": (lambda r, wp=wp: ev.composite_values(r, *wp))
            for name, wp in ablations.items()
        },
        **{f"  {m} alone": metric_alone(m) for m in metrics},
        "raw hub rating (baseline)": None,
    }
    print(f"{'':<44} {'AUC train':>9} {'AUC test':>9}")
    for name, values_of in rows.items():
        got = {
            k: ev.auc(
                [rating[pk] for pk, _ in labelled[k]] if values_of is None else values_of(r),
                [lab for _, lab in r],
            )
            for k, r in splits.items()
        }
        print(f"{name:<44} {got['train']:>9.3f} {got['test']:>9.3f}")
    train_values = rows["composite (shipped)"](splits["train"])
    train_truth = [lab for _, lab in splits["train"]]
    threshold = ev.best_threshold(train_values, train_truth)
    test_values = rows["composite (shipped)"](splits["test"])
    test_truth = [lab for _, lab in splits["test"]]
    majority = max(sum(test_truth), len(test_truth) - sum(test_truth)) / len(test_truth)
    print(
        f"Accuracy of 'composite >= {threshold:.3f}' (threshold chosen on TRAIN): "
        f"train {ev.accuracy(train_values, train_truth, threshold):.3f}, "
        f"test {ev.accuracy(test_values, test_truth, threshold):.3f} "
        f"(always-the-majority-label: {majority:.3f})"
    )


#: The first composite's hand-set weights (arithmetic mean), kept as a baseline.
OLD_WEIGHTS = {
    "community_quality": 0.30,
    "security": 0.25,
    "metadata_completeness": 0.20,
    "license_clarity": 0.15,
    "momentum": 0.10,
    "default": 0.0,
}


def _latency(Model) -> None:
    """Median and worst time of one served request (every plugin; visibility, history and
    the answer's catalog details from the database) for a demo team member on the demo
    catalog: snapshots rebuilt every request (cache off, as before) and from the warm
    per-process cache (the default), side by side; plus CPU time and SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from governance.accounts.models import User
    from governance.recommendations import selectors
    from governance.recommendations.services import refresh_item_similarity

    refresh_item_similarity()
    alice = User.objects.get(username="alice")
    target = Model.objects.order_by("-download_count").first()
    checkpoint = Model.objects.filter(type="Checkpoint").order_by("-download_count").first()
    calls = {
        "for you": lambda: selectors.recommended_for_user(user=alice, limit=10),
        "similar": lambda: selectors.similar_models(model=target, user=alice, limit=10),
        "compatible": lambda: selectors.compatible_models(checkpoint=checkpoint, user=alice),
    }
    runs = 15
    print(
        f"\nServed latency, {Model.objects.count()} models, {runs} calls each "
        "(wall ms median / max, CPU ms median, SQL queries):"
    )
    print(f"{'':<12} {'snapshots rebuilt per request':>34}   {'snapshot cache (default)':>34}")
    for name, call in calls.items():
        cells = []
        for seconds in (0, 300):
            with override_settings(HUBGATE_RECS_SNAPSHOT_SECONDS=seconds):
                selectors.clear_snapshot_cache()
                call()  # warm imports and, when on, the cache
                walls, cpus = [], []
                for _ in range(runs):
                    wall, cpu = time.perf_counter(), time.process_time()
                    call()
                    cpus.append((time.process_time() - cpu) * 1000)
                    walls.append((time.perf_counter() - wall) * 1000)
                connection.queries_log.clear()  # a full log (9,000) would count 0
                with CaptureQueriesContext(connection) as captured:
                    call()
            walls.sort()
            cpus.sort()
            cells.append(
                (walls[runs // 2], walls[-1], cpus[runs // 2], len(captured.captured_queries))
            )
        (w0, m0, c0, q0), (w1, m1, c1, q1) = cells
        print(
            f"{name:<12} {w0:7.1f} / {m0:6.1f}  cpu {c0:6.1f}  {q0:3d} q   "
            f"{w1:7.1f} / {m1:6.1f}  cpu {c1:6.1f}  {q1:3d} q   x{w0 / w1:.1f} faster"
        )
    selectors.clear_snapshot_cache()


def _trend(train, model_pk, today) -> dict[int, float]:
    """Each model's "hot" score at the split, by the community app's trend math (its pure
    ``trend_score``) over the simulated train uses, scaled to [0, 1]; empty without it."""
    trend_score = selectors_community("trend_score")
    if trend_score is None:
        return {}
    per_day: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for e in train:
        if e.weight > 0 and e.kind in ("download", "favorite"):
            day = datetime.fromisoformat(e.at).date()
            per_day[model_pk[e.model]][day] += 3 if e.kind == "favorite" else 1
    hot = {m: trend_score(m, days, today=today, first_seen=None).hot for m, days in per_day.items()}
    top = max(hot.values(), default=0.0)
    return {m: h / top for m, h in hot.items()} if top else {}


def selectors_community(name: str):
    from governance.recommendations.selectors import _community

    return _community("selectors", name)


def ev_plugins(results):
    """Plugins that answered for this member (an abstention counts as an empty list)."""
    return [r for r in results if r.ok]


def _mean(pairs: list[tuple[float, float]], n: int | None = None) -> tuple[float, float]:
    n = n or len(pairs)
    if not n:
        return 0.0, 0.0
    return sum(h for h, _ in pairs) / n, sum(g for _, g in pairs) / n


if __name__ == "__main__":
    main()
