"""One ingest + full scan of FILE in a fresh process; prints JSON timings (used by the bench).

Runs Django on a throwaway SQLite database and media directory, so the measured path is the
production one: stream, hash, verify, store by content, identify, then every scanner plugin.
"""

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(path: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="hubgate-bench-", dir=os.environ.get("BENCH_DIR")))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(work / "media"),
        HUBGATE_VAR_DIR=str(work),
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from governance.ingest.services import ingest_path
    from governance.scanning.models import FileScan

    started = time.perf_counter()
    blob = ingest_path(Path(path))  # eager Celery: the scan runs when the row commits
    ingested = time.perf_counter()
    scan = FileScan.objects.get(blob=blob)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": ingested - started,
                "peak_rss_mib": rss_mib,
                "verdict": scan.verdict,
                "findings": scan.findings.count(),
                "sha256": blob.sha256,
            }
        )
    )
    stored = work / "media" / blob.storage_name
    stored.unlink()


if __name__ == "__main__":
    main(sys.argv[1])
