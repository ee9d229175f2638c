"""``/api/v1/models?limit=100`` on 100,000 approved models in PostgreSQL: requests/s and p95.

Target (issue #5): p95 under 50 ms. The database (BENCH_DATABASE_URL, recreated) is filled
with bulk_create: 100,000 models, ~180,000 approved versions with a file each, ~270,000
preview images, 300,000 tag links. Hubgate runs under gunicorn with the deployment's
config (deploy/gunicorn.conf.py; DEBUG off, persistent database connections as in
production); a second process on loopback sends the load (benchmarks/_load.py), bounded by
``--duration`` seconds per scenario. Scenarios: the first page, one client at a time (the
latency a tool sees) and four at once (throughput); a crawl following ``nextCursor`` ten
pages deep; the same first page with a team member's API key.

Run: `make bench` or `python benchmarks/bench_compat_models.py --models 20000 --duration 10`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_P95_MS = 50.0
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/hubgate_bench_compat"


def _recreate(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="false",
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="60",
        DJANGO_LOG_LEVEL="WARNING",
        HUBGATE_COMPAT_ANONYMOUS_READ="true",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_LOG_LEVEL="warning",
        GUNICORN_MAX_REQUESTS="0",
        # The rate limit is checked on every request, but set out of the load's reach.
        HUBGATE_COMPAT_RATE="100000000/min",
    )
    return env


def _api_key(env: dict[str, str]) -> str:
    """A team member's read key; the team may use 1,000 of the versions."""
    code = (
        "from guardian.shortcuts import assign_perm\n"
        "from governance.accounts.models import Membership, Team, User\n"
        "from governance.accounts.services import create_api_key\n"
        "from governance.catalog.models import ModelVersion\n"
        "team, _ = Team.objects.get_or_create(slug='bench', defaults={'name': 'Bench'})\n"
        "user, _ = User.objects.get_or_create(username='bench')\n"
        "Membership.objects.get_or_create(user=user, team=team)\n"
        "team.refresh_from_db()\n"
        "for v in ModelVersion.objects.order_by('?')[:1000]:\n"
        "    assign_perm('catalog.use_modelversion', team.group, v)\n"
        "print(create_api_key(user=user, name='bench', scopes=['read'])[1])\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _load(
    url: str, *, concurrency: int, duration: float, walk: int = 0, header: str | None = None
) -> dict:
    cmd = [
        sys.executable,
        str(HERE / "_load.py"),
        url,
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration),
        "--requests",
        "100000",
        "--walk",
        str(walk),
    ]
    if header:
        cmd += ["--header", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 300)
    return json.loads(out.stdout)


def _encoding_times(body: bytes, rounds: int = 30) -> dict[str, float]:
    """Milliseconds to encode one answer with the standard library's json (as the API did)
    and with orjson (as it does), side by side in this process."""
    import orjson

    document = json.loads(body)
    encoders = {
        "json": lambda: json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
        "orjson": lambda: orjson.dumps(document),
    }
    times = {}
    for name, encode in encoders.items():
        started = time.perf_counter()
        for _ in range(rounds):
            encode()
        times[name] = (time.perf_counter() - started) / rounds * 1000
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--reuse", action="store_true", help="keep an already filled database")
    args = parser.parse_args()
    port = _free_port()
    env = _env(args.database_url, port)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if not args.reuse:
        try:
            _recreate(args.database_url)
        except Exception as exc:
            print(f"skipped: PostgreSQL at {args.database_url} is not reachable ({exc})")
            return
        filled = subprocess.run(
            [sys.executable, str(HERE / "_compat_data.py"), str(args.models)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        counts = json.loads(filled.stdout.strip().splitlines()[-1])
        print(
            f"generated {counts['models']} models, {counts['versions']} versions, "
            f"{counts['files']} files, {counts['images']} images "
            f"in {counts['seconds']:.0f} s"
        )
    key = _api_key(env)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/models?limit=1", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not answer within 60 s")
            time.sleep(0.5)
        page = f"{base}/api/v1/models?limit=100"
        load = os.getloadavg()[0]
        scenarios = [
            ("first page, 1 client", _load(page, concurrency=1, duration=args.duration)),
            ("first page, 4 clients", _load(page, concurrency=4, duration=args.duration)),
            (
                "cursor crawl 10 deep, 1 client",
                _load(page, concurrency=1, duration=args.duration, walk=10),
            ),
            (
                "first page with an API key, 1 client",
                _load(
                    page,
                    concurrency=1,
                    duration=args.duration,
                    header=f"Authorization: Bearer {key}",
                ),
            ),
        ]
        body = httpx.get(page).content
        size = len(body)
        encoding = _encoding_times(body)
    finally:
        server.terminate()
        server.wait(timeout=30)
    workers = env.get("WEB_CONCURRENCY", "deploy default (2 x cores + 1)")
    print(
        f"GET /api/v1/models?limit=100 ({size / 1024:.0f} KiB per answer) on {args.models} "
        f"models, PostgreSQL, gunicorn workers: {workers}, {os.cpu_count()} cores, load "
        f"average at start {load:.2f}"
    )
    print(
        f"{'scenario':<40}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'target p95':>11}  verdict"
    )
    for label, r in scenarios:
        verdict = "meets the target" if r["p95_ms"] < TARGET_P95_MS else "MISSES the target"
        if r["errors"]:
            verdict += f" ({r['errors']} errors)"
        print(
            f"{label:<40}{r['requests']:>9}{r['rps']:>8.1f}{r['p50_ms']:>8.1f}"
            f"{r['p95_ms']:>8.1f}{r['p99_ms']:>8.1f}{'< 50':>11}  {verdict}"
        )
    print(
        f"encoding one answer: json {encoding['json']:.1f} ms, orjson {encoding['orjson']:.1f} "
        f"ms ({encoding['json'] / encoding['orjson']:.0f}x), side by side in this process"
    )


if __name__ == "__main__":
    main()
