"""The main journeys in a real browser against a real IdP: sign in through the company IdP
(login, consent, group mapping) → search → open a model → request it for the team → a team
lead approves in a second browser → the requester downloads → sign out everywhere.

Screenshots of every step are saved under var/test-artifacts/portal/.
"""

import json
import re
import struct

import pytest

from governance.accounts.models import IdpGroupMapping, Membership, ReviewerRole
from governance.approvals.models import ApprovalPolicy, ModelRequest
from governance.audit.models import AuditEntry
from governance.catalog.models import ModelType
from governance.ingest.services import attach_blob, ingest_chunks
from tests.accounts.factories import TeamFactory, UserFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory
from tests.licensing.factories import PERMISSIVE_FLAGS, install_licensing

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    return struct.pack("<Q", len(header)) + header + bytes(8)


@pytest.fixture
def studio_world():
    """A studio team whose IdP groups map to member and lead, a lead-approves policy for clean
    LoRAs, and a clean LoRA to find, request and download."""
    install_licensing()
    team = TeamFactory(slug="creative-studio", name="Creative Studio")
    lead_role = ReviewerRole.objects.create(slug="team-lead", name="Team lead", team_scoped=True)
    policy = ApprovalPolicy.objects.create(
        name="Clean add-ons: team lead",
        priority=50,
        quorum=1,
        risk=ApprovalPolicy.Risk.LOW,
        model_types=[ModelType.LORA],
    )
    policy.required_roles.set([lead_role])
    IdpGroupMapping.objects.create(group="hubgate-creative-studio", team=team)
    IdpGroupMapping.objects.create(
        group="hubgate-creative-leads", team=team, team_role=Membership.Role.LEAD
    )
    version = ModelVersionFactory(
        model__name="Copper Ink Lines",
        model__type=ModelType.LORA,
        model__tags=["ink", "line"],
        base_model="SDXL 1.0",
        name="v1.0",
        **PERMISSIVE_FLAGS,
    )
    data = _safetensors()
    attach_blob(version=version, blob=ingest_chunks([data]), name="copper_ink_v1.safetensors")
    ModelFactory(name="Nightfall Landscapes", type=ModelType.CHECKPOINT)
    return {"team": team, "version": version, "data": data}


def _sign_in_through_idp(page, base_url: str, login: str, shot_prefix: str) -> None:
    page.goto(base_url + "/")
    assert "/accounts/login/" in page.url
    page.get_by_role("button", name="Sign in with Test IdP").click()
    # The IdP's own sign-in page (oidc-provider's development interactions).
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any-password-the-test-idp-accepts")
    screenshot(page, f"{shot_prefix}-1-idp-login")
    page.locator("button[type=submit]").click()
    # Consent: Hubgate asks for the profile, e-mail and groups scopes.
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base_url + "/")


def test_request_approve_download_journey_through_the_idp(
    live_server, idp_app, new_context, studio_world
) -> None:
    base = live_server.url
    version = studio_world["version"]

    # 1. Dana signs in through the IdP; her group puts her in Creative Studio.
    dana = new_context().new_page()
    _sign_in_through_idp(dana, base, "dana", "01-dana")
    assert dana.get_by_test_id("signed-in-user").inner_text() == "Dana Designer"
    teams = dana.get_by_test_id("my-teams").inner_text()
    assert "Creative Studio (member, from your company groups)" in teams
    for panel in ("Discovery", "Gallery", "Community", "Management"):
        heading = dana.locator(f"#{panel.lower()}-h")
        assert heading.is_visible() and heading.text_content() == panel
    screenshot(dana, "01-dana-2-workspace")
    provisioned = AuditEntry.objects.get(action="user.provisioned", object_repr="dana")
    assert provisioned.after["provider"] == "test-idp" and provisioned.after["uid"] == "dana"
    assert AuditEntry.objects.filter(action="user.idp_groups_applied", object_repr="dana").exists()

    # 2. Search (htmx swaps the results in), 3. open the model in the Gallery.
    dana.get_by_label("Search models").fill("copper")
    dana.get_by_label("Search models").press("Enter")
    dana.locator("#results").get_by_text("1 model").wait_for()
    assert dana.locator("#results").get_by_text("Nightfall Landscapes").count() == 0
    # By keyboard: Enter on the result opens it, and focus moves to what opened.
    dana.locator("#results").get_by_role("link", name="Copper Ink Lines").focus()
    dana.keyboard.press("Enter")
    gallery = dana.locator("#gallery-body")
    gallery.get_by_role("heading", name="Copper Ink Lines").wait_for()
    dana.wait_for_function("document.activeElement.id === 'gallery-title'")
    assert dana.url.endswith(f"/?model={version.model_id}"), "the address can be shared"
    assert gallery.get_by_text("copper_ink_v1.safetensors").is_visible()
    assert gallery.get_by_role("link", name="Download").count() == 0, "not approved yet"
    screenshot(dana, "02-search-and-gallery")

    # 4. Request it for the team.
    gallery.get_by_label("Intended use").select_option("internal-research")
    gallery.get_by_role("button", name="Request").click()
    dana.get_by_text("now in_review").wait_for()
    request = ModelRequest.objects.get(version=version)
    assert request.state == ModelRequest.State.IN_REVIEW and request.requester.username == "dana"
    screenshot(dana, "03-requested")

    # 5. Tess, the team lead, signs in in another browser and approves.
    tess = new_context().new_page()
    _sign_in_through_idp(tess, base, "tess", "04-tess")
    assert "Creative Studio (team lead" in tess.get_by_test_id("my-teams").inner_text()
    queue = tess.locator("#management")
    queue.get_by_role("heading", name=re.compile("Waiting for your review")).wait_for()
    queue.get_by_label("Approve").check()
    queue.get_by_role("button", name="Submit review").click()
    tess.get_by_text("now approved").wait_for()
    screenshot(tess, "05-tess-approved")

    # 6. Dana downloads the approved file, byte for byte.
    dana.goto(f"{base}/?model={version.model_id}")
    link = dana.locator("#gallery-body").get_by_role("link", name="Download")
    with dana.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "copper_ink_v1.safetensors"
    with open(download.path(), "rb") as fh:
        assert fh.read() == studio_world["data"]
    screenshot(dana, "06-dana-download")

    # 7. Sign out everywhere: Hubgate ends the session, the IdP ends its session too.
    dana.get_by_role("button", name="Sign out").click()
    dana.get_by_role("button", name="Yes, sign me out").click()
    dana.wait_for_url(re.compile(r"/accounts/login/"))
    screenshot(dana, "07-signed-out")
    dana.goto(base + "/")
    assert "/accounts/login/" in dana.url, "Hubgate's session ended"
    dana.get_by_role("button", name="Sign in with Test IdP").click()
    dana.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/interaction/"))
    assert dana.locator("input[name=login]").is_visible(), "the IdP asks to sign in again"
    # Tess, another person, is still signed in.
    tess.reload()
    assert tess.get_by_test_id("signed-in-user").inner_text() == "Tess Teamlead"


def test_local_demo_sign_in_still_works_in_the_browser(live_server, new_context) -> None:
    UserFactory(username="alice", first_name="Alice")
    ink = ModelFactory(name="Ink Base", tags=["ink", "lineart"])
    ModelFactory(name="Ink Cousin", tags=["ink", "lineart"])
    page = new_context().new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Username or e-mail").fill("alice")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_test_id("signed-in-user").inner_text() == "Alice"
    # Keyboard users can skip straight to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    # A model page of its own: similar models arrive by htmx and open as pages.
    page.goto(f"{live_server.url}/models/{ink.pk}/")
    page.locator("#recs-list").get_by_role("link", name="Ink Cousin").click()
    page.wait_for_url(re.compile(r"/\?model=\d+$"))
    page.locator("#gallery-body").get_by_role("heading", name="Ink Cousin").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_an_idp_configured_in_settings_signs_in_a_person_without_mapped_groups(
    live_server, idp, new_context, settings
) -> None:
    from .conftest import IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_PROVIDER_ID

    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": IDP_PROVIDER_ID,
                    "name": "Test IdP",
                    "client_id": IDP_CLIENT_ID,
                    "secret": IDP_CLIENT_SECRET,
                    "settings": {
                        "server_url": idp,
                        "scope": ["openid", "profile", "email", "groups"],
                        "token_auth_method": "client_secret_post",
                    },
                }
            ],
        }
    }
    page = new_context().new_page()
    _sign_in_through_idp(page, live_server.url, "nina", "08-nina")
    assert page.get_by_test_id("signed-in-user").inner_text() == "Nina Newcomer"
    assert "You are in no team yet" in page.get_by_test_id("my-teams").inner_text()
    screenshot(page, "08-nina-no-team")
