"""The sign-in page's demo line comes from the demo app, and the page renders without it."""

import copy

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

DEMO_PROCESSOR = "governance.demo.context_processors.demo"


def test_the_sign_in_page_names_the_demo_users_only_on_a_development_server(client) -> None:
    UserFactory(username="alice")
    with override_settings(DEBUG=True):
        page = client.get(reverse("account_login")).content.decode()
    assert "sign in as any of admin, alice" in page and "hubgate-demo" in page
    assert "hubgate-demo" not in client.get(reverse("account_login")).content.decode()


def test_without_the_demo_app_the_sign_in_page_renders_without_the_line(client) -> None:
    UserFactory(username="alice")
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    processors.remove(DEMO_PROCESSOR)
    apps = [app for app in settings.INSTALLED_APPS if app != "governance.demo"]
    with override_settings(DEBUG=True, TEMPLATES=templates, INSTALLED_APPS=apps):
        response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    assert "hubgate-demo" not in response.content.decode()
