import json

import pytest

from governance.demo.catalog import load_fixture
from governance.demo.evaluation import recommendations as ev


def test_metrics() -> None:
    assert ev.hit_rate_at_k([5, 6, 7], {7}, k=3) == 1.0
    assert ev.hit_rate_at_k([5, 6, 7], {7}, k=2) == 0.0
    assert ev.ndcg_at_k([1, 2], {1}) == 1.0
    assert ev.ndcg_at_k([2, 1], {1}) == pytest.approx(1 / 1.5849625)
    assert ev.auc([0.9, 0.8, 0.1], [1, 1, 0]) == 1.0
    assert ev.auc([0.1, 0.8, 0.9], [1, 1, 0]) == 0.0
    assert ev.auc([0.5, 0.5], [1, 0]) == 0.5
    with pytest.raises(ValueError):
        ev.auc([0.1], [1])


def test_shipped_evaluation_set_is_what_the_simulation_generates() -> None:
    interactions, labels = ev.build(load_fixture())
    assert json.loads(ev.INTERACTIONS_FILE.read_text()) == json.loads(json.dumps(interactions))
    assert json.loads(ev.LABELS_FILE.read_text()) == json.loads(json.dumps(labels))
    assert "SIMULATED" in interactions["note"]


def test_split_is_by_time_and_holds_out_only_new_models() -> None:
    events = ev.load_events()
    train, held_out = ev.split(events)
    assert train and held_out
    assert max(e.at for e in train) < ev.SPLIT.isoformat()
    seen = {(e.user, e.model) for e in train}
    assert all((user, m) not in seen for user, models in held_out.items() for m in models)


def test_at_least_a_hundred_labelled_versions_of_both_classes() -> None:
    labels = ev.load_labels()
    assert len(labels) >= 100
    assert {row["label"] for row in labels} == {0, 1}
    assert all(row["reasons"] for row in labels if row["label"] == 0)


def test_quality_split_is_by_model_and_holds_out_about_a_third() -> None:
    train, test = ev.quality_split(ev.load_labels())
    assert {r["model"] for r in train}.isdisjoint({r["model"] for r in test})
    assert 0.2 < len(test) / (len(train) + len(test)) < 0.4
    assert {r["label"] for r in test} == {0, 1}


def test_tuner_weighs_the_metric_that_separates_and_drops_noise() -> None:
    rows = []
    for i in range(40):
        label = i % 2
        noise = ((i * 7) % 10) / 10
        rows.append(([("p", "signal", 0.2 + 0.6 * label, ""), ("q", "noise", noise, "")], label))
    weights, power, train_auc = ev.tune_quality(rows, ["noise", "signal"])
    assert train_auc == 1.0
    assert weights["signal"] > 0 and weights["noise"] == 0.0
    assert power in ev.POWER_GRID


def test_threshold_is_chosen_for_accuracy() -> None:
    scores, labels = [0.1, 0.4, 0.5, 0.9, 0.95], [0, 0, 1, 1, 1]
    assert ev.best_threshold(scores, labels) == 0.5
    assert ev.accuracy(scores, labels, 0.5) == 1.0
    assert ev.accuracy(scores, labels, 0.95) == 0.6
