import json
import re
from pathlib import Path

import pytest

from governance.catalog.services import import_civitai_model
from governance.demo.evaluation.search import evaluate, load_queries, ndcg_at, precision_at
from governance.discovery.services import build_document, reindex_all

FIXTURE = "governance/demo/fixtures/demo_catalog.json"
STOP = {
    "a",
    "an",
    "and",
    "the",
    "of",
    "for",
    "on",
    "in",
    "to",
    "with",
    "from",
    "at",
    "by",
    "after",
    "seen",
    "via",
}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}


def test_the_set_has_sixty_queries_including_paraphrases():
    queries = load_queries()
    assert len(queries) >= 60
    assert sum(q.kind == "paraphrase" for q in queries) >= 20
    ids = {str(m["id"]) for m in json.loads(Path(FIXTURE).read_text())["items"]}
    assert all(q.relevant and q.relevant <= ids for q in queries)


@pytest.mark.slow
def test_paraphrases_share_no_word_with_their_relevant_models(db):
    for item in json.loads(Path(FIXTURE).read_text())["items"]:
        import_civitai_model(document=item)
    from governance.catalog.models import Model

    texts = {
        m.external_id: _words(build_document(m).text)
        for m in Model.objects.prefetch_related("tags", "versions").select_related("creator")
    }
    for query in load_queries():
        if query.kind == "paraphrase":
            for model_id in query.relevant:
                shared = _words(query.query) & texts[model_id]
                assert not shared, f"{query.query!r} shares {shared} with model {model_id}"


def test_metrics():
    relevant = frozenset({"a", "b"})
    assert ndcg_at(["a", "b", "c"], relevant) == pytest.approx(1.0)
    assert ndcg_at(["c", "a"], relevant) < ndcg_at(["a", "c"], relevant)
    assert precision_at(["a", "x", "b", "y", "z"], relevant) == pytest.approx(0.4)
    assert ndcg_at([], relevant) == 0.0


@pytest.mark.slow
def test_hybrid_beats_lexical_on_the_demo_catalog(db, django_user_model):
    for item in json.loads(Path(FIXTURE).read_text())["items"]:
        import_civitai_model(document=item)
    reindex_all()
    staff = django_user_model.objects.create(username="judge", is_staff=True)
    lexical = evaluate(user=staff, mode="lexical")
    hybrid = evaluate(user=staff, mode="hybrid")
    assert hybrid.ndcg_at_10 > lexical.ndcg_at_10
    assert evaluate(user=staff, mode="semantic", kind="paraphrase").ndcg_at_10 > 0.5
