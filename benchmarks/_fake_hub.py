"""Serve N synthetic models from the fake CivitAI in a process of its own (so the benchmark's
importer and the hub do not share one interpreter). Prints the hub's URL, then serves."""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from _civitai_data import synthetic_models

    from governance.demo.fake_hub import FakeCivitai

    hub = FakeCivitai(synthetic_models(args.models), real_files=False)
    print(hub.url, flush=True)
    hub.serve_forever()


if __name__ == "__main__":
    main()
