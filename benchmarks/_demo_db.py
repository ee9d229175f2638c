"""A fresh SQLite database with the demo catalog, for benchmarks that run Django in-process.

``demo_database("portal")`` points Django at a scratch directory (removed at exit), runs the
migrations and, unless ``seed=False``, ``seed_demo`` (every scorer scores every version).
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def demo_database(name: str, *, seed: bool = True) -> Path:
    scratch = Path(tempfile.mkdtemp(prefix=f"hubgate-bench-{name}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}",
        HUBGATE_VAR_DIR=str(scratch),
        DJANGO_LOG_LEVEL="ERROR",
    )
    for variable in [k for k in os.environ if k.startswith("CELERY_")]:
        del os.environ[variable]
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    if seed:
        call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    return scratch
