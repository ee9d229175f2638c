"""The demo app stays on top: runtime code never imports it and production never installs it."""

import ast
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from governance.demo.fake_hub import FakeCivitai
from tests.config.test_settings import GOOD_SECRET, SERVICES

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = [ROOT / "governance", ROOT / "plugins", ROOT / "config"]


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_no_runtime_module_imports_the_demo_app() -> None:
    offenders = {
        str(path.relative_to(ROOT))
        for folder in RUNTIME
        for path in folder.rglob("*.py")
        if "governance/demo" not in path.as_posix()
        and any(n == "governance.demo" or n.startswith("governance.demo.") for n in _imports(path))
    }
    assert offenders == set()


def test_demo_modules_live_only_in_the_demo_app() -> None:
    strays = [
        str(p.relative_to(ROOT))
        for folder in RUNTIME
        for p in folder.rglob("*.py")
        if p.stem in {"demo", "fake", "evaluation"} and "governance/demo" not in p.as_posix()
    ]
    assert strays == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "installed"),
    [
        ("config.settings.production", False),
        ("config.settings.base", False),
        ("config.settings.local", True),
    ],
)
def test_only_development_settings_install_the_demo(module: str, installed: bool) -> None:
    code = (
        "import django; django.setup(); from django.apps import apps; "
        "print(apps.is_installed('governance.demo'))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HUBGATE_"))}
    env = {
        **clean,
        **SERVICES,
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": GOOD_SECRET,
        "DJANGO_ALLOWED_HOSTS": "hubgate.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(installed)


def test_the_fake_hub_command_serves_the_demo_catalog(monkeypatch) -> None:
    served = []

    def serve_until_interrupted(hub: FakeCivitai) -> None:
        served.append(hub)
        raise KeyboardInterrupt

    monkeypatch.setattr(FakeCivitai, "serve_forever", serve_until_interrupted)
    out = StringIO()
    call_command("fake_hub", "--port", "0", stdout=out)
    (hub,) = served
    hub._server.server_close()
    assert len(hub.models()) >= 60
    assert f"HUBGATE_CIVITAI_BASE_URL={hub.url}" in out.getvalue()
