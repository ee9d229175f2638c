import pytest
from django.urls import reverse

from governance.catalog.services import import_civitai_model
from governance.scoring.services import refresh_version_scores
from tests.catalog.documents import civitai_document
from tests.catalog.factories import ModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_the_portal_asks_to_sign_in(client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert b"Sign in to Hubgate" in client.get(response["Location"]).content


def test_signing_in_with_a_password_reaches_the_catalog(client, user) -> None:
    response = client.post(
        "/accounts/login/", {"login": user.username, "password": "pw-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"model" in response.content


def test_catalog_lists_models_and_hides_nsfw_by_default(client, user) -> None:
    client.force_login(user)
    ModelFactory(name="Copper Valley Landscapes")
    ModelFactory(name="Spicy Thing", nsfw=True, nsfw_level=8)  # X, as CivitAI rates it
    page = client.get("/").content.decode()
    assert "Copper Valley Landscapes" in page and "Spicy Thing" not in page
    page = client.get("/?nsfw=1").content.decode()
    assert "Spicy Thing" in page


def test_catalog_filters_and_searches(client, user, django_capture_on_commit_callbacks) -> None:
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):  # the search index follows
        lora = ModelFactory(name="Detail Slider", type="LORA")
        ModelVersionFactory(model=lora, base_model="Pony")
        ModelFactory(name="Nightfall VAE", type="VAE")
    page = client.get("/?type=LORA&base_model=Pony").content.decode()
    assert "Detail Slider" in page and "Nightfall VAE" not in page
    page = client.get("/?q=nightfall").content.decode()
    assert "Nightfall VAE" in page and "Detail Slider" not in page
    assert "No model matches" in client.get("/?q=zzzz").content.decode()


def test_catalog_query_count_does_not_grow_with_models(client, user, django_assert_max_num_queries):
    client.force_login(user)
    for _ in range(30):
        ModelVersionFactory(model=ModelFactory(tags=["style", "ink"]))
    with django_assert_max_num_queries(25):
        assert client.get("/").status_code == 200


def test_model_page_shows_versions_hashes_permissions_scores(client, user) -> None:
    client.force_login(user)
    model = import_civitai_model(document=civitai_document()).model
    refresh_version_scores(version=model.versions.get(name="v2.0"))
    page = client.get(reverse("portal:model-detail", args=[model.pk])).content.decode()
    assert "lumenPhotoreal_v20.safetensors" in page
    assert "SHA256" in page and "AAAAAAAAAAAAAAAA" in page
    assert "Credit the creator when you use it" in page
    assert "Commercial use allowed: sell generated images, use on generation services" in page
    assert "metadata_completeness" in page


def test_model_descriptions_are_never_rendered_as_markup(client, user) -> None:
    client.force_login(user)
    model = ModelFactory(description='<script>alert("x")</script><p>Fine text</p>')
    page = client.get(reverse("portal:model-detail", args=[model.pk])).content.decode()
    assert "<script>alert" not in page and "Fine text" in page


def test_taken_down_models_are_not_shown(client, user) -> None:
    client.force_login(user)
    model = ModelFactory(mode="TakenDown")
    assert client.get(reverse("portal:model-detail", args=[model.pk])).status_code == 404


def test_upload_page_only_for_the_owning_team(client, user, own_version) -> None:
    client.force_login(user)
    page = client.get(reverse("portal:version-upload", args=[own_version.pk]))
    assert page.status_code == 200 and b"upload.js" in page.content
    detail = client.get(reverse("portal:model-detail", args=[own_version.model_id])).content
    assert b"Upload a file to this version" in detail
    other = ModelVersionFactory()
    assert client.get(reverse("portal:version-upload", args=[other.pk])).status_code == 403
    detail = client.get(reverse("portal:model-detail", args=[other.model_id])).content
    assert b"Upload a file to this version" not in detail


def test_model_page_shows_hubgate_scan_and_download_link(
    client, user, own_version, django_capture_on_commit_callbacks
) -> None:
    import json
    import struct

    from governance.ingest.services import attach_blob, ingest_chunks

    header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        blob = ingest_chunks([struct.pack("<Q", len(header)) + header + bytes(4)])
    file = attach_blob(version=own_version, blob=blob, name="ok.safetensors")
    client.force_login(user)
    page = client.get(reverse("portal:model-detail", args=[own_version.model_id])).content.decode()
    assert 'class="verdict verdict-clean">Clean' in page
    assert reverse("file-download", args=[file.pk]) not in page, "not approved: no download"
    assert "draft, not approved" in page
    # Arranged directly (the approval flow has its own tests): approved for the user's team.
    from guardian.shortcuts import assign_perm

    type(own_version).objects.filter(pk=own_version.pk).update(state="approved")
    assign_perm("catalog.use_modelversion", user.teams.get().group, own_version)
    page = client.get(reverse("portal:model-detail", args=[own_version.model_id])).content.decode()
    assert reverse("file-download", args=[file.pk]) in page


def test_request_and_review_through_the_portal(
    client, company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version()
    client.force_login(company.alice)
    page = client.get(reverse("portal:model-detail", args=[version.model_id])).content.decode()
    assert "Request this version for my team" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:version-request", args=[version.pk]),
            {"team": company.team.pk, "intended_use": "internal-research"},
            follow=True,
        )
    assert "now in_review" in response.content.decode()
    request = version.requests.get()
    for reviewer in (company.sam, company.lee):
        client.force_login(reviewer)
        queue = client.get(reverse("portal:requests")).content.decode()
        assert "Waiting for your review" in queue and str(version) in queue
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("portal:request-review", args=[request.pk]),
                {"decision": "approve", "comment": "ok"},
            )
    request.refresh_from_db()
    assert request.state == "approved"
    client.force_login(company.alice)
    mine = client.get(reverse("portal:requests")).content.decode()
    assert "Approved" in mine and "sam (Security): Approve" in mine


def test_the_queue_does_not_offer_approve_while_gates_fail_and_says_why(
    client, company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    from governance.approvals.services import request_model
    from tests.approvals.conftest import MediumFinding

    plugin(MediumFinding(), name="medium")
    with django_capture_on_commit_callbacks(execute=True):
        request = request_model(
            requester=company.alice,
            team=company.team,
            version=stored_version(),
            intended_use="internal-research",
        )
    client.force_login(company.sam)
    queue = client.get(reverse("portal:requests")).content.decode()
    assert "Approve is not possible while its gates fail" in queue and "t.odd" in queue
    assert 'value="approve"' not in queue
    response = client.post(
        reverse("portal:request-review", args=[request.pk]), {"decision": "approve"}, follow=True
    )
    assert "cannot be approved while its gates fail" in response.content.decode()
    assert not request.reviews.exists()


def test_the_requester_sees_why_the_gates_fail_and_withdraws_in_the_portal(
    client, company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    from governance.approvals.services import request_model
    from tests.approvals.conftest import MediumFinding

    plugin(MediumFinding(), name="medium")
    with django_capture_on_commit_callbacks(execute=True):
        request = request_model(
            requester=company.alice,
            team=company.team,
            version=stored_version(),
            intended_use="internal-research",
        )
    withdraw_url = reverse("portal:request-withdraw", args=[request.pk])
    client.force_login(company.sam)
    assert withdraw_url not in client.get(reverse("portal:requests")).content.decode()
    client.post(withdraw_url)
    request.refresh_from_db()
    assert request.state == "in_review", "only the requester may withdraw"
    client.force_login(company.alice)
    mine = client.get(reverse("portal:requests")).content.decode()
    assert "cannot be approved while its gates fail" in mine and "t.odd" in mine
    assert withdraw_url in mine
    response = client.post(withdraw_url, follow=True)
    request.refresh_from_db()
    assert request.state == "withdrawn"
    assert withdraw_url not in response.content.decode()


def test_the_request_form_warns_when_the_intended_use_is_not_license_compliant(
    client, company, stored_version
) -> None:
    version = stored_version(base_model="Flux.1 D")  # non-commercial license
    client.force_login(company.alice)
    page = client.get(reverse("portal:workspace") + f"?model={version.model_id}").content.decode()
    check_url = reverse("portal:version-license-check", args=[version.pk])
    assert f'hx-get="{check_url}"' in page, "the form asks as the intended use changes"
    warning = client.get(check_url, {"intended_use": "commercial-products"}).content.decode()
    assert "license-warning" in warning and "non_compliant" in warning
    assert (
        "license-warning"
        not in client.get(check_url, {"intended_use": "internal-research"}).content.decode()
    )
    client.force_login(company.outsider)
    hidden = stored_version(model__owning_team=company.team, model__visibility="team")
    assert (
        client.get(
            reverse("portal:version-license-check", args=[hidden.pk]),
            {"intended_use": "commercial-products"},
        ).status_code
        == 404
    )


def test_my_teams_requests_are_newest_first_and_paginated_and_reviewers_see_a_count(
    client, company, stored_version
) -> None:
    from governance.approvals.models import ModelRequest

    made = [
        ModelRequest.objects.create(
            version=stored_version(model__name=f"Model {i:02}"),
            team=company.team,
            requester=company.alice,
            intended_use="internal-research",
            state="in_review",
            policy=company.policy,
        )
        for i in range(22)
    ]
    client.force_login(company.alice)
    first = client.get(reverse("portal:requests")).content.decode()
    assert "Model 21" in first and "Model 02" in first and "Model 01" not in first
    assert first.index("Model 21") < first.index("Model 20"), "newest first"
    assert 'data-testid="pending-reviews"' not in first, "alice reviews nothing"
    second = client.get(reverse("portal:requests"), {"mine_page": 2}).content.decode()
    assert "Model 01" in second and "Model 00" in second and "Model 21" not in second
    client.force_login(company.sam)
    page = client.get(reverse("portal:workspace")).content.decode()
    assert (
        f'data-testid="pending-reviews" title="Requests waiting for your review">{len(made)}'
        in page
    )
    client.force_login(company.outsider)
    assert (
        'data-testid="pending-reviews"'
        not in client.get(reverse("portal:workspace")).content.decode()
    )


def test_a_waiving_reviewer_grants_and_revokes_a_waiver_from_the_queue(
    client, company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from governance.approvals.models import Waiver
    from governance.approvals.services import request_model
    from tests.approvals.conftest import MediumFinding

    plugin(MediumFinding(), name="medium")
    with django_capture_on_commit_callbacks(execute=True):
        request = request_model(
            requester=company.alice,
            team=company.team,
            version=stored_version(),
            intended_use="internal-research",
        )
    waive_url = reverse("portal:request-waive", args=[request.pk])
    client.force_login(company.lee)  # legal: may not waive
    assert waive_url not in client.get(reverse("portal:requests")).content.decode()
    client.force_login(company.sam)
    queue = client.get(reverse("portal:requests")).content.decode()
    assert waive_url in queue and "Waive: [medium] t.odd" in queue
    finding = request.version.files.get().blob.current_scan.findings.get(scanner="medium")
    until = (timezone.localdate() + timedelta(days=7)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            waive_url,
            {
                "finding": finding.pk,
                "justification": "benign, checked",
                "scope": "studio",
                "expires_on": until,
            },
        )
    waiver = Waiver.objects.get()
    assert (waiver.granted_by, waiver.code) == (company.sam, "t.odd")
    queue = client.get(reverse("portal:requests")).content.decode()
    revoke_url = reverse("portal:waiver-revoke", args=[waiver.pk])
    assert revoke_url in queue and 'value="approve"' in queue, "the waiver unblocks approve"
    client.force_login(company.lee)
    client.post(revoke_url)
    waiver.refresh_from_db()
    assert waiver.revoked_at is None, "only a waiving role revokes"
    client.force_login(company.sam)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(revoke_url)
    waiver.refresh_from_db()
    assert waiver.revoked_at is not None
