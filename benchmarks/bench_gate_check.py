"""CI gate checks per second and their latency, with 100,000 files in PostgreSQL.

Target (issue #8): >= 500 checks/s on 2 cores with p99 under 30 ms. Hubgate is served by
gunicorn (sync workers, deploy/gunicorn.conf.py) on 127.0.0.1; the load comes from a
second process on loopback (benchmarks/_gate_bench_load.py), one file hash per request as
a CI job checking a single file sends it, then batches of 20, each run after 200 unmeasured
warm-up requests. GET /healthz is measured in the same run as the baseline: the load
generator, gunicorn and PostgreSQL share the machine's cores, so the ratio to it says more
than the absolute rate on a busy machine. The checking account is a
non-staff service account in a team, so every check goes through the object-permission
path a real CI key takes. Bounded: at most --requests requests or --seconds per run.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and gunicorn
(`pip install -e '.[server]'`). The data (database ``hubgate_bench``) is seeded on the first
run, about two minutes, and reused after. Run: `make bench` or
`python benchmarks/bench_gate_check.py [--files 100000] [--workers 4]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_RATE, TARGET_P99_MS = 500.0, 30.0


def postgres_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def ensure_database(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"not a plain database name: {name!r}")
    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("psql is needed to create the benchmark database")
    exists = subprocess.run(
        [
            psql,
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-Atc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",  # noqa: S608 (checked above)
            "postgres",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [
                psql,
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-c",
                f'CREATE DATABASE "{name}"',
                "postgres",
            ],
            check=True,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310  (loopback, our own server)
            return
        except urllib.error.HTTPError:
            return  # it answered (401 without a key): up
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up within 60 s")


def load(port: int, key: str, files: int, items: int, args: argparse.Namespace) -> dict:
    """One run of the load generator: ``items`` hashes a request, or /healthz for 0."""
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / "_gate_bench_load.py"),
            "--port",
            str(port),
            "--key",
            key,
            "--files",
            str(files),
            "--items",
            str(items),
            "--concurrency",
            str(args.concurrency),
            "--requests",
            str(args.requests),
            "--seconds",
            str(args.seconds),
            *(["--healthz"] if items == 0 else []),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=args.seconds + 120,
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000, help="files in the catalog")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--requests", type=int, default=6000, help="requests per run, at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per run, at most")
    parser.add_argument("--database", default="hubgate_bench")
    args = parser.parse_args()
    if not postgres_reachable("127.0.0.1", 5432):
        print("SKIPPED: needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust)")
        return
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        print("SKIPPED: needs gunicorn: pip install -e '.[server]'")
        return
    ensure_database(args.database)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "DATABASE_CONN_MAX_AGE": "600",
        "HUBGATE_API_RATE": "10000000/min",  # measure the check, not the throttle
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    started = time.monotonic()
    seeded = subprocess.run(
        [sys.executable, str(HERE / "_gate_bench_seed.py"), str(args.files // 2)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if seeded.returncode != 0:
        raise SystemExit(seeded.stderr[-3000:])
    setup = json.loads(seeded.stdout.strip().splitlines()[-1])
    print(
        f"catalog: {setup['files']} files in PostgreSQL (ready in "
        f"{time.monotonic() - started:.0f} s)"
    )
    port = free_port()
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
            "--max-requests",
            "0",
            "config.wsgi",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/gate/check/", time.monotonic() + 60)
        load_before = os.getloadavg()[0]
        print(
            f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; "
            f"load: {args.concurrency} in flight from a second process; "
            f"cores: {os.cpu_count()}"
        )
        # /healthz (one query, no key) in the same run is the baseline: what gunicorn, the
        # loopback connections and the load generator cost on this machine at this moment.
        base = load(port, setup["key"], setup["files"], 0, args)
        print(
            f"baseline GET /healthz: {base['requests']} requests in {base['seconds']:.1f} s  "
            f"{base['requests_per_second']:7.1f} req/s  p50 {base['p50_ms']:.1f} ms  "
            f"p99 {base['p99_ms']:.1f} ms"
        )
        for items in (1, 20):
            r = load(port, setup["key"], setup["files"], items, args)
            ok = r["statuses"].get("200", 0)
            meets = r["checks_per_second"] >= TARGET_RATE and r["p99_ms"] < TARGET_P99_MS
            ratio = r["requests_per_second"] / base["requests_per_second"]
            print(
                f"{items:>3} file(s)/request: {r['requests']} requests in {r['seconds']:.1f} s  "
                f"{r['requests_per_second']:7.1f} req/s ({ratio:.2f} x /healthz)  "
                f"{r['checks_per_second']:8.1f} checks/s  "
                f"p50 {r['p50_ms']:.1f} ms  p90 {r['p90_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
                f"max {r['max_ms']:.1f} ms  (200: {ok}, other: "
                f"{r['requests'] - ok}, not pass: {r['non_pass_outcomes']})"
            )
            target = f">= {TARGET_RATE:.0f} checks/s and p99 < {TARGET_P99_MS:.0f} ms"
            print(f"      target {target}: {'met' if meets else 'MISSED'}")
        # Other processes on the machine take cores from both sides: say how busy it was.
        print(f"load average (1 min) before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
