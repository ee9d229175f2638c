"""What recording a usage event adds to a download request, at p95.

Target (issue #11): recording 10,000 usage events adds under 2 ms to a download request at
p95. One run, side by side: N downloads of the same small stored file through the REST API
(``GET /api/files/{id}/download/``, the whole Django stack in-process: middleware,
authentication, permission checks, storage, streaming the bytes), alternating request by
request between recording on (the real ``record_usage``: one INSERT, done when the response
is closed after its last byte) and recording off (the call replaced by a no-op), so both arms
see the same machine load. Two times per request: until the client holds the last byte
(what the download waits; the target) and until the server has closed the response (the
worker's time, which includes the INSERT). Each arm's p50/p95/p99
and the p95 difference are printed; the script exits non-zero if the difference misses the
target. The database is a fresh SQLite file (the embedded default) unless BENCH_DATABASE_URL
names another (e.g. PostgreSQL); the usage table grows by N rows during the run.

Run: `make bench` or `python benchmarks/bench_usage_recording.py --events 10000`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 2.0


def _setup(workdir: Path, database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DJANGO_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["HUBGATE_VAR_DIR"] = str(workdir)
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG would keep every query in memory
    os.environ.pop("CELERY_BROKER_URL", None)  # eager: the ingest's scan runs in-process
    os.environ["HUBGATE_USAGE_RECORDING"] = "insert"
    # The per-user rate limit is checked on every request but set out of the run's reach.
    os.environ["HUBGATE_API_RATE"] = "100000000/min"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0, interactive=False)


def _world():
    from django.db import transaction

    from governance.accounts.models import User
    from governance.catalog.models import Model, ModelVersion, VersionState
    from governance.demo.approvals import demo_safetensors
    from governance.ingest.services import attach_blob, ingest_chunks

    model = Model.objects.create(name="Bench LoRA", type="LORA")
    version = ModelVersion.objects.create(model=model, name="v1", base_model="SDXL 1.0")
    with transaction.atomic():
        blob = ingest_chunks([demo_safetensors("bench", tensors=4, width=64)])
        file = attach_blob(version=version, blob=blob, name="bench.safetensors")
    # Bench fixture: approve directly (the lifecycle's reviews are not what is measured).
    ModelVersion.objects.filter(pk=version.pk).update(state=VersionState.APPROVED)
    user = User.objects.create_user("bench", "bench@example.com", "x", is_staff=True)
    return user, file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="downloads with recording on")
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubgate-bench-usage-") as tmp:
        _setup(Path(tmp), os.environ.get("BENCH_DATABASE_URL"))
        from django.test import Client

        from governance.catalog.api import views as catalog_views
        from governance.usage.models import UsageEvent

        user, file = _world()
        client = Client()
        client.force_login(user)
        url = f"/api/files/{file.pk}/download/"
        real = catalog_views.record_usage

        def off(**kwargs):
            return None

        def download() -> tuple[float, float]:
            """(ms until the client holds the last byte, ms until the server closed the
            response). A WSGI server closes the response after sending the last byte; with
            Content-Length the client is done at the last byte."""
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            expected, received, last_byte = int(response["Content-Length"]), 0, None
            for chunk in response.streaming_content:  # the test client closes at the end
                received += len(chunk)
                if received >= expected and last_byte is None:
                    last_byte = time.perf_counter()
            closed = time.perf_counter()
            assert received == expected and last_byte is not None
            return (last_byte - started) * 1000, (closed - started) * 1000

        for _ in range(args.warmup):
            download()
        before = UsageEvent.objects.count()
        timings: dict[str, list[float]] = {"on": [], "off": []}
        busy: dict[str, list[float]] = {"on": [], "off": []}
        for i in range(2 * args.events):
            arm = "on" if i % 2 == 0 else "off"
            catalog_views.record_usage = real if arm == "on" else off
            waited, occupied = download()
            timings[arm].append(waited)
            busy[arm].append(occupied)
        catalog_views.record_usage = real
        recorded = UsageEvent.objects.count() - before
        from django.db import connection

        vendor = connection.vendor

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]

    print(
        f"usage recording on a download request: {args.events} downloads per arm, "
        f"interleaved, {vendor}; {recorded} events recorded"
    )
    print(f"{'':<42}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label, series in (("request, to the last byte", timings), ("worker, to close", busy)):
        for arm in ("off", "on"):
            t = series[arm]
            print(
                f"{label + ', recording ' + arm:<42}"
                f"{pct(t, 50):>9.3f}{pct(t, 95):>9.3f}{pct(t, 99):>9.3f}"
            )
    added_p95 = pct(timings["on"], 95) - pct(timings["off"], 95)
    added_p50 = pct(timings["on"], 50) - pct(timings["off"], 50)
    ratio = pct(timings["on"], 95) / pct(timings["off"], 95)
    worker_p95 = pct(busy["on"], 95) - pct(busy["off"], 95)
    print(
        f"added to the request by recording: p50 {added_p50:+.3f} ms, p95 {added_p95:+.3f} ms "
        f"(on/off p95 ratio {ratio:.3f}); target < {TARGET_MS} ms at p95"
    )
    print(
        f"added to the worker's time per download (the INSERT after the last byte): "
        f"p95 {worker_p95:+.3f} ms"
    )
    ok = recorded == args.events and added_p95 < TARGET_MS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
