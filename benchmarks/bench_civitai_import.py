"""Import of N models (default 10,000) from a fake CivitAI over real HTTP: models/s, peak memory.

Target (issue #5): at least 200 models/s. The fake hub runs in a process of its own and
serves synthetic copies of the demo fixture's realistic documents (each 1-3 versions with
files, hashes and preview images); the importer runs in a fresh process on a fresh database
— SQLite (the laptop default) and, if it answers, PostgreSQL at BENCH_DATABASE_URL — through
the connector's listing import: cursor pagination, 100 models a page, the catalog's
validator and its batched upsert of each page. Side by side, in the same run and on a fresh
database each, the baseline imports the same pages one model per transaction; the ratio of
the two is what the machine's load (shared with other work) does not distort. Bounded:
``--max-seconds`` stops an import early and the rate is computed over what was imported by
then.

Run: `make bench` or `python benchmarks/bench_civitai_import.py --models 2000`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = 200.0
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/hubgate_bench_import"


def _postgres(url: str) -> bool:
    """Recreate the benchmark database; False if PostgreSQL is not there."""
    sys.path.insert(0, str(HERE.parent))
    try:
        import psycopg
    except ImportError:
        return False
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return False
    return True


def _run_import(
    hub_url: str, models: int, database_url: str, max_seconds: float, mode: str
) -> dict:
    try:
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "_civitai_import_once.py"),
                hub_url,
                str(models),
                database_url,
                str(max_seconds),
                mode,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=max_seconds + 300,
        )
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"the import failed:\n{exc.stderr[-3000:]}") from exc
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=120.0,
        help="bound of the one-model-per-transaction baseline",
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    hub = subprocess.Popen(
        [sys.executable, str(HERE / "_fake_hub.py"), "--models", str(args.models)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        hub_url = hub.stdout.readline().strip()
        if not hub_url.startswith("http"):
            raise SystemExit("the fake hub did not start")
        databases = [("SQLite", "")]
        if not args.skip_postgres and _postgres(args.database_url):
            databases.append(("PostgreSQL", args.database_url))
        load = os.getloadavg()[0]
        results = []
        for label, url in databases:
            for mode in ("listing", "per-model"):
                if url and mode == "per-model":
                    _postgres(url)  # a fresh database for the baseline too
                started = time.perf_counter()
                bound = args.max_seconds if mode == "listing" else args.baseline_seconds
                report = _run_import(hub_url, args.models, url, bound, mode)
                report["bound"] = bound
                report["wall"] = time.perf_counter() - started
                report["mode"] = mode
                results.append((label, report))
    finally:
        hub.terminate()
        hub.wait(timeout=10)
    print(
        f"import of {args.models} CivitAI models from a fake hub on 127.0.0.1 "
        f"(load average at start {load:.2f}, {os.cpu_count()} cores)"
    )
    print(
        f"{'database':<12}{'path':<11}{'imported':>10}{'seconds':>10}{'models/s':>10}"
        f"{'target':>9}{'peak RSS':>11}  verdict"
    )
    for label, r in results:
        verdict = "meets the target" if r["models_per_s"] >= TARGET else "MISSES the target"
        partial = (
            "" if r["imported"] >= args.models else (f" (stopped at the {r['bound']:.0f} s bound)")
        )
        print(
            f"{label:<12}{r['mode']:<11}{r['imported']:>10}{r['seconds']:>10.1f}"
            f"{r['models_per_s']:>10.1f}{TARGET:>9.0f}{r['peak_rss_mib']:>8.0f} MiB  "
            f"{verdict}{partial}"
        )
        if r["failed"]:
            print(f"  {r['failed']} documents refused")
    rates = {(label, r["mode"]): r["models_per_s"] for label, r in results}
    for label in dict.fromkeys(label for label, _ in results):
        ratio = rates[(label, "listing")] / rates[(label, "per-model")]
        print(
            f"{label}: page batching imports {ratio:.1f}x as many models/s as one model "
            "per transaction, measured side by side in this run"
        )


if __name__ == "__main__":
    main()
