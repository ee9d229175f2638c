"""Portal fixtures: a real OpenID Connect provider (panva/oidc-provider under node) and a real
headless Chromium driven by Playwright, for the browser journeys.

Without node/npm, Chromium or the playwright package the browser tests skip with the reason;
under HUBGATE_REQUIRE_SERVICES=1 (CI's service run) they fail instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.approvals.conftest import company, stored_version  # noqa: F401
from tests.conftest import ROOT, XDIST_SUFFIX, services_required, stop_process

IDP_DIR = Path(__file__).resolve().parent / "idp"
CHROMIUM = os.environ.get("HUBGATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "portal"
IDP_CLIENT_ID = "hubgate-tests"
IDP_CLIENT_SECRET = "hubgate-tests-secret-0123456789"  # a throwaway secret of the test IdP
IDP_PROVIDER_ID = "test-idp"


def _browser_prerequisites() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (shutil.which("node") and shutil.which("npm")):
        return "needs node and npm on PATH for the test IdP (oidc-provider)"
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (pip install -e '.[dev]')"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser"):
        why = _browser_prerequisites()
        if why:
            if services_required():
                pytest.fail(
                    f"{why}, and HUBGATE_REQUIRE_SERVICES=1 says it must be here", pytrace=False
                )
            pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _npm_ci() -> None:
    """Install the IdP's locked dependencies once (the registry is reachable at install time);
    a lock file keeps two pytest-xdist workers from running `npm ci` in one folder at once."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (IDP_DIR / "node_modules" / "oidc-provider").is_dir():
            return
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=IDP_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        pytest.fail(f"npm ci for the test IdP failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def idp(live_server) -> Iterator[str]:
    """The test IdP on a free 127.0.0.1 port, allowed to redirect to the live server."""
    _npm_ci()
    port = _free_port()
    origins = {live_server.url, live_server.url.replace("localhost", "127.0.0.1")}
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": IDP_CLIENT_ID,
        "CLIENT_SECRET": IDP_CLIENT_SECRET,
        "REDIRECT_URIS": ",".join(
            f"{o}/accounts/oidc/{IDP_PROVIDER_ID}/login/callback/" for o in sorted(origins)
        ),
        "POST_LOGOUT_REDIRECT_URIS": ",".join(f"{o}/accounts/login/" for o in sorted(origins)),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"idp{XDIST_SUFFIX}.log"  # one IdP per pytest-xdist worker
    log = open(log_path, "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        ["node", "server.mjs"], cwd=IDP_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"the test IdP exited with {proc.returncode}: " + log_path.read_text()[-2000:]
                )
            try:
                with urllib.request.urlopen(  # noqa: S310
                    f"{url}/.well-known/openid-configuration",
                    timeout=2,
                ) as response:
                    if json.load(response).get("issuer") == url:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("the test IdP did not publish its discovery document within 30 s")
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc, timeout=10)
        log.close()


@pytest.fixture
def idp_app(idp):
    """The IdP registered as an allauth SocialApp, the way an administrator does it."""
    from allauth.socialaccount.models import SocialApp

    return SocialApp.objects.create(
        provider="openid_connect",
        provider_id=IDP_PROVIDER_ID,
        name="Test IdP",
        client_id=IDP_CLIENT_ID,
        secret=IDP_CLIENT_SECRET,
        settings={
            "server_url": idp,
            "scope": ["openid", "profile", "email", "groups"],
            "token_auth_method": "client_secret_post",
        },
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Headless system Chromium under Playwright's sync API (never `playwright install`).

    The sync API runs an asyncio loop in this thread, so Django's guard against ORM calls
    from async code would trip in the test's own arrange steps: allowed for these tests only.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    browser = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(chromium, request) -> Iterator[object]:
    """``new_context()`` → a fresh browser profile that may only talk to 127.0.0.1/localhost
    (no CDN, no internet); pages get a ``shot(name)`` helper saving screenshots."""
    contexts = []

    def make():
        context = chromium.new_context(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        context.set_default_timeout(15_000)

        def only_local(route) -> None:
            host = route.request.url.split("/")[2].split(":")[0]
            if host in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_local)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact under var/test-artifacts/portal/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
