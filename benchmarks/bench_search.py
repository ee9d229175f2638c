"""Search quality on the labelled demo set, and filtered-search latency at 100,000 models.

Quality (SQLite throwaway database, the embedded default): the 67-model demo catalog is
imported, every index built, and the 68 judged queries of
governance/demo/evaluation/fixtures/search_queries.json run through the real search service in each
mode; nDCG@10 (binary gains) and precision@5 are averaged, over all queries and per kind
(keyword queries / paraphrases that share no word with the relevant models).

Latency (PostgreSQL throwaway database BENCH_DATABASE_URL, recreated): 100,000 models are
generated in bulk (names, tags, descriptions and trigger words drawn from a fixed vocabulary,
one approved version each, ~1/3 LoRAs on SDXL); their search documents and tsvectors are built
by the same code as production; their embeddings are 67 real MiniLM embeddings of vocabulary texts
plus noise (embedding 100,000 texts with MiniLM on this CPU would take ~20 minutes and does not
change what is timed: one query embedding plus one 100,000 x 384 matrix product). Timed: the
search service called in-process as a non-staff team member (visibility rules included) with
four filters (type, base model, commercial use, NSFW level), 20 different queries, each run
repeatedly; p50 and p95 of wall time per call. The backends filter on the search documents'
denormalised filter columns (one GIN index with the tsvector); for comparison the same calls
run interleaved with the filters joined from the catalog's tables instead, as before.

Run: `make bench`, or `python benchmarks/bench_search.py --models 20000`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_compat_models import _recreate  # the throwaway database, as there

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/hubgate_bench_search"
TARGET_LEXICAL_MS = 50.0
TARGET_HYBRID_MS = 100.0


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=database_url,
        DJANGO_LOG_LEVEL="ERROR",
    )
    return env


def _child(phase: str, database_url: str, *extra: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *extra],
        env=_env(database_url),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


# --- quality -----------------------------------------------------------------------------


def quality() -> dict:
    _setup_django()
    from governance.accounts.models import User
    from governance.catalog.services import import_civitai_model
    from governance.demo.catalog import FIXTURE
    from governance.demo.evaluation.search import evaluate
    from governance.discovery.services import reindex_all

    for item in json.loads(FIXTURE.read_text())["items"]:
        import_civitai_model(document=item)
    reindex_all()
    judge = User.objects.create(username="judge", is_staff=True)
    rows = {}
    for mode in ("lexical", "semantic", "hybrid"):
        for kind in (None, "keyword", "paraphrase"):
            s = evaluate(user=judge, mode=mode, kind=kind)
            rows[f"{mode}/{kind or 'all'}"] = [s.ndcg_at_10, s.precision_at_5, s.queries]
    return rows


# --- latency -----------------------------------------------------------------------------

WORDS = [
    "anime",
    "portrait",
    "landscape",
    "cinematic",
    "photoreal",
    "watercolor",
    "sketch",
    "pixel",
    "retro",
    "neon",
    "armor",
    "castle",
    "forest",
    "ocean",
    "desert",
    "city",
    "robot",
    "dragon",
    "knight",
    "flower",
    "autumn",
    "winter",
    "gothic",
    "pastel",
    "noir",
    "clay",
    "paper",
    "ink",
    "oil",
    "chrome",
    "glass",
    "marble",
    "velvet",
    "smoke",
    "storm",
    "sunset",
    "dusk",
    "studio",
]
TYPES = ["LORA", "LORA", "LORA", "Checkpoint", "TextualInversion", "LoCon", "Controlnet", "VAE"]
BASES = ["SDXL 1.0", "SDXL 1.0", "SD 1.5", "Flux.1 D", "Pony", "Illustrious", "NoobAI"]
QUERIES = [
    "anime portrait",
    "cinematic neon city",
    "watercolor flower",
    "retro robot",
    "gothic castle",
    "pixel dragon",
    "oil landscape",
    "photoreal studio portrait",
    "autumn forest",
    "ink storm",
    "pastel clay",
    "chrome armor knight",
    "desert sunset",
    "marble statue",
    "noir smoke",
    "paper city",
    "glass ocean",
    "winter dusk",
    "velvet flower",
    "sketch knight",
]


def _generate(n: int) -> None:
    import numpy as np
    from django.db import connection

    from governance.accounts.models import Membership, Team, User
    from governance.catalog.models import Model, ModelVersion, Tag, VersionState
    from governance.discovery.models import ModelEmbedding, SearchDocument
    from governance.discovery.services import _write_documents

    rng = random.Random(20261126)
    tags = Tag.objects.bulk_create([Tag(name=w) for w in WORDS])
    team = Team.objects.create(name="Bench", slug="bench")
    user = User.objects.create(username="bench-member")
    Membership.objects.create(user=user, team=team)
    demo = np.random.default_rng(7).standard_normal((67, 384)).astype(np.float32)
    from governance.discovery.embeddings import EmbeddingModelMissing, embed

    try:
        demo = embed([" ".join(rng.sample(WORDS, 6)) for _ in range(67)])
    except EmbeddingModelMissing:
        print("embedding model missing: random directions (times the same)", file=sys.stderr)
    noise = np.random.default_rng(11)
    batch = 5000
    through = Model.tags.through
    for start in range(0, n, batch):
        models = []
        for i in range(start, min(start + batch, n)):
            words = rng.sample(WORDS, 5)
            models.append(
                Model(
                    name=f"{words[0].title()} {words[1].title()} {i}",
                    type=rng.choice(TYPES),
                    description=f"<p>{' '.join(rng.sample(WORDS, 12))}.</p>",
                    external_id=str(i),
                    download_count=rng.randrange(100_000),
                    rating=round(rng.uniform(1, 5), 2),
                    nsfw_level=rng.choice([1, 1, 1, 2, 4, 8]),
                    commercial_image=rng.random() < 0.6,
                )
            )
        Model.objects.bulk_create(models)
        ModelVersion.objects.bulk_create(
            [
                ModelVersion(
                    model=m,
                    name="v1",
                    base_model=rng.choice(BASES),
                    external_id=str(m.pk),
                    state=VersionState.APPROVED,
                    trained_words=[rng.choice(WORDS)],
                )
                for m in models
            ]
        )
        through.objects.bulk_create(
            [through(model_id=m.pk, tag_id=t.pk) for m in models for t in rng.sample(tags, 3)]
        )
        docs = [
            SearchDocument(
                model=m,
                name=m.name,
                keywords=" ".join(rng.sample(WORDS, 4)),
                facets=f"{m.type} {rng.choice(BASES)}",
                body=m.description[3:-5],
            )
            for m in models
        ]
        _write_documents(docs)
        vectors = demo[[rng.randrange(len(demo)) for _ in models]]
        vectors = vectors + 0.05 * noise.standard_normal(vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ModelEmbedding.objects.bulk_create(
            [
                ModelEmbedding(model=m, encoder="bench", text_sha256="", vector=v.tobytes())
                for m, v in zip(models, vectors, strict=True)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    del SearchDocument


def _catalog_join_filters(documents, request):
    """The filters as before the denormalised columns: joins to the catalog's tables."""
    from governance.catalog.models import Model
    from governance.discovery.selectors import filter_models

    return documents.filter(
        model_id__in=filter_models(Model.objects.order_by(), request).values("pk")
    )


def latency(n: int, repeats: int) -> dict:
    _setup_django()
    from governance.accounts.models import User
    from governance.discovery.selectors import SearchParams, search
    from plugins.search import fulltext, semantic

    started = time.perf_counter()
    _generate(n)
    generated = time.perf_counter() - started
    user = User.objects.get(username="bench-member")
    filters = {
        "types": ("LORA",),
        "base_models": ("SDXL 1.0",),
        "commercial_use": ("Image",),
        "max_nsfw_level": 2,
    }
    denormalised = fulltext.filter_documents
    variants = {"": denormalised, " (catalog joins)": _catalog_join_filters}

    def run(mode: str, variant: str, query: str):
        # The backends' filter step swapped in place: everything else is the same code.
        fulltext.filter_documents = semantic.filter_documents = variants[variant]
        try:
            return search(user=user, params=SearchParams(query=query, mode=mode, **filters))
        finally:
            fulltext.filter_documents = semantic.filter_documents = denormalised

    out = {"models": n, "generate_s": generated}
    for mode in ("lexical", "hybrid"):
        for variant in variants:
            for q in QUERIES[:3]:  # warm caches: the embedding matrix, the encoder, PostgreSQL's
                run(mode, variant, q)
        times = {variant: [] for variant in variants}
        hits = {variant: [] for variant in variants}
        for _ in range(repeats):
            for q in QUERIES:
                for variant in variants:  # interleaved: both see the same machine load
                    t0 = time.perf_counter()
                    results = run(mode, variant, q)
                    times[variant].append((time.perf_counter() - t0) * 1000)
                    hits[variant].append(results.total)
        for variant in variants:
            ordered = sorted(times[variant])
            out[mode + variant] = {
                "p50_ms": statistics.median(ordered),
                "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
                "calls": len(ordered),
                "mean_matches": statistics.mean(hits[variant]),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phase", choices=("quality", "latency"))
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.phase == "quality":
        print(json.dumps(quality()))
        return
    if args.phase == "latency":
        print(json.dumps(latency(args.models, args.repeats)))
        return

    print("Search benchmark (the machine may be shared: latencies are upper bounds)")
    with tempfile.TemporaryDirectory() as tmp:
        rows = _child("quality", f"sqlite:///{tmp}/bench_search.sqlite3")
    print("\nQuality on the demo catalog (68 judged queries: 40 keyword, 28 paraphrase)")
    print(f"{'':22}{'lexical':>20}{'semantic':>20}{'hybrid':>20}")
    print(f"{'':22}" + "".join(f"{'nDCG@10':>11}{'P@5':>9}" for _ in range(3)))
    for kind in ("all", "keyword", "paraphrase"):
        cells = "".join(
            f"{rows[f'{m}/{kind}'][0]:>11.3f}{rows[f'{m}/{kind}'][1]:>9.3f}"
            for m in ("lexical", "semantic", "hybrid")
        )
        print(f"{kind + ' queries':22}{cells}")
    gain = (
        rows["hybrid/all"][0] / rows["lexical/all"][0] if rows["lexical/all"][0] else float("inf")
    )
    verdict = "hybrid beats lexical" if gain > 1 else "HYBRID DOES NOT BEAT LEXICAL"
    print(f"hybrid / lexical nDCG@10 ratio: {gain:.2f}x ({verdict})")
    pg = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    try:
        _recreate(pg)
    except Exception as exc:
        print(f"\nLatency: skipped, PostgreSQL unavailable at {pg} ({exc})")
        return
    try:
        lat = _child("latency", pg, "--models", str(args.models), "--repeats", str(args.repeats))
    finally:
        _recreate(pg)
    print(
        f"\nFiltered search latency, PostgreSQL, {lat['models']:,} models (generated in "
        f"{lat['generate_s']:.0f} s), in-process, non-staff user, 4 filters"
    )
    print(
        "(filters on the search documents' own indexed columns; '(catalog joins)' is the same"
        " search with the filters joined from the catalog's tables, as before, interleaved)"
    )
    print(f"{'':26}{'p50 ms':>10}{'p95 ms':>10}{'target p95':>12}{'calls':>8}{'matches':>10}")
    for mode, target in (("lexical", TARGET_LEXICAL_MS), ("hybrid", TARGET_HYBRID_MS)):
        for name in (mode, mode + " (catalog joins)"):
            r = lat[name]
            verdict = ("met" if r["p95_ms"] < target else "MISSED") if name == mode else ""
            print(
                f"{name:26}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}"
                f"{f'< {target:.0f} ms':>12}{r['calls']:>8}{r['mean_matches']:>10.0f}  "
                f"{verdict}"
            )
        ratio = lat[mode + " (catalog joins)"]["p95_ms"] / lat[mode]["p95_ms"]
        print(f"{'':26}p95 catalog joins / denormalised: {ratio:.1f}x")


if __name__ == "__main__":
    main()
