"""Content-Security-Policy and the other browser headers, on every page; htmx's CSRF token
comes from the page, not from a cookie scripts could read."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.catalog.factories import ImageFactory, ModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
HX = {"HTTP_HX_REQUEST": "true"}
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|<style\b|\sstyle=|\son[a-z]+=",
    re.IGNORECASE,
)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_no_template_has_inline_script_style_or_handler() -> None:
    templates = [
        *(ROOT / "templates").rglob("*.html"),
        *ROOT.glob("governance/*/templates/**/*.html"),
    ]
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in templates
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []


def test_portal_pages_carry_a_strict_csp_and_the_usual_headers(client, user) -> None:
    client.force_login(user)
    model = ModelFactory(name="Keeper")
    ImageFactory(version=ModelVersionFactory(model=model), url="https://image.civitai.com/a.jpeg")
    for url, extra in [
        ("/", {}),
        (reverse("portal:gallery", args=[model.pk]), HX),
        (reverse("portal:model-detail", args=[model.pk]), {}),
        ("/accounts/login/", {"anonymous": True}),
    ]:
        if extra.pop("anonymous", False):
            client.logout()
        response = client.get(url, **extra)
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "camera=()" in response["Permissions-Policy"]
        html = response.content.decode()
        assert not INLINE.search(html), (url, INLINE.search(html).group(0))


def test_the_csrf_cookie_is_not_readable_by_scripts_and_htmx_gets_the_token_from_the_page(
    user,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    model = ModelFactory(name="Keeper")
    page = client.get("/")
    assert page.cookies["csrftoken"]["httponly"] is True
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page.content.decode())
    assert token, "the body carries the token for htmx"
    toggle = reverse("community:favorite-toggle", args=[model.pk])
    assert client.post(toggle, HTTP_X_CSRFTOKEN=token.group(1), **HX).status_code == 200
    assert client.post(toggle, **HX).status_code == 403


def test_the_api_docs_render_under_the_csp_with_only_styles_relaxed(client, user) -> None:
    client.force_login(user)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    policy = _policy(page)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts), scripts
    # Every script the page loads is served from this origin: the vendored bundle (static
    # files), and the start-up script from the docs URL itself.
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert all(src.startswith(("/static/", reverse("api-docs"))) for src in sources), sources
    startup = [src for src in sources if src.startswith(reverse("api-docs"))]
    assert startup and client.get(startup[0].replace("&amp;", "&")).status_code == 200
    assert _policy(client.get("/"))["style-src"] == ["'self'"]  # relaxed for the docs only
