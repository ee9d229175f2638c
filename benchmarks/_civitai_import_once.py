"""One listing import from HUB_URL into a fresh database, in a fresh process; prints JSON.

The measured path is the production one (mode ``listing``): the connector's client pages
through ``/api/v1/models`` (cursor pagination, 100 per page) and every page goes through the
catalog's validator and its batched upsert. Mode ``per-model`` is the baseline: the same
pages, one ``import_civitai_model`` transaction per document.
"""

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _one_at_a_time(client, models: int, max_seconds: float):
    """The baseline: the same pages, each document in a transaction of its own through
    ``import_civitai_model``, as the connector wrote them before page batching."""
    from governance.catalog.services import import_civitai_model
    from governance.connectors.services import ListingReport

    report = ListingReport()
    deadline = time.monotonic() + max_seconds
    for page in client.models(limit=100):
        report.pages += 1
        for document in page[: models - report.imported]:
            report.created += import_civitai_model(document=document).created
            report.imported += 1
        if report.imported >= models or time.monotonic() >= deadline:
            break
    return report


def main(
    hub_url: str, models: int, database_url: str, max_seconds: float, mode: str = "listing"
) -> None:
    work = Path(tempfile.mkdtemp(prefix="hubgate-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=database_url or f"sqlite:///{work / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(work / "media"),
        HUBGATE_VAR_DIR=str(work),
        DJANGO_DEBUG="false",
        DJANGO_LOG_LEVEL="WARNING",
    )
    # Tasks the import queues (rescoring the imported versions) go to an in-memory broker,
    # as they go to the workers in production: measured here is the importing process.
    os.environ.update(CELERY_BROKER_URL="memory://", CELERY_RESULT_BACKEND="cache+memory://")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from governance.catalog.models import Model, ModelVersion
    from governance.connectors.client import CivitaiClient
    from governance.connectors.services import import_listing

    with CivitaiClient(base_url=hub_url, timeout=60) as client:
        started = time.perf_counter()
        if mode == "per-model":
            report = _one_at_a_time(client, models, max_seconds)
        else:
            report = import_listing(
                params={"limit": 100}, limit=models, client=client, max_seconds=max_seconds
            )
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "imported": report.imported,
                "failed": report.failed,
                "pages": report.pages,
                "seconds": seconds,
                "models_per_s": report.imported / seconds,
                "peak_rss_mib": peak,
                "models_in_db": Model.objects.count(),
                "versions_in_db": ModelVersion.objects.count(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), *sys.argv[5:6])
