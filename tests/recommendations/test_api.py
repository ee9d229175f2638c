import pytest
from django.urls import reverse

from tests.api.conftest import assert_problem, documented_problems

pytestmark = pytest.mark.django_db


def test_for_me_lists_models_with_reasons(api_client, catalog) -> None:
    response = api_client.get(reverse("recommendations-for-me"), {"limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 3
    assert {"model", "score", "reason"} <= set(body[0])
    assert catalog["private"].pk not in [row["model"]["id"] for row in body]


def test_similar_and_compatible(api_client, catalog) -> None:
    similar = api_client.get(reverse("recommendations-similar", args=[catalog["pony_lora"].pk]))
    assert similar.status_code == 200 and similar.json()
    url = reverse("recommendations-compatible", args=[catalog["checkpoint"].pk])
    compatible = api_client.get(url, {"type": ["LORA", "Upscaler"]})
    assert compatible.status_code == 200
    assert {row["model"]["id"] for row in compatible.json()} == {
        catalog["pony_lora"].pk,
        catalog["sdxl_lora"].pk,
        catalog["upscaler"].pk,
    }


def test_compatibility_check(api_client, catalog) -> None:
    response = api_client.get(
        reverse("compatibility-check"),
        {"addon": catalog["sd15_lora"].pk, "checkpoint": catalog["checkpoint"].pk},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["compatible"], body["level"]) == (False, "incompatible")
    assert body["addon_families"] == ["sd1"] and body["checkpoint_families"] == ["sdxl"]


def test_a_private_model_is_a_404_problem(api_client, catalog) -> None:
    response = api_client.get(reverse("recommendations-similar", args=[catalog["private"].pk]))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    check = api_client.get(
        reverse("compatibility-check"),
        {"addon": catalog["private"].pk, "checkpoint": catalog["checkpoint"].pk},
    )
    assert check.status_code == 404


@pytest.mark.parametrize("hidden", ["addon", "checkpoint"])
def test_the_compatibility_check_documents_its_404(api_client, catalog, hidden) -> None:
    """Found by the schema fuzzer: an add-on or checkpoint you may not see is a 404 problem,
    and the schema says so."""
    params = {"addon": catalog["pony_lora"].pk, "checkpoint": catalog["checkpoint"].pk}
    params[hidden] = catalog["private"].pk
    assert_problem(api_client.get(reverse("compatibility-check"), params), 404, "not_found")
    assert documented_problems("/api/compatibility/check/", "get")["404"] == "NotFound"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": "many"}, {"type": "Checkpoint"}])
def test_bad_parameters_are_a_400_problem(api_client, catalog, params) -> None:
    url = reverse("recommendations-compatible", args=[catalog["checkpoint"].pk])
    response = api_client.get(url, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_compatibility_check_needs_both_ids(api_client) -> None:
    assert api_client.get(reverse("compatibility-check"), {"addon": 1}).status_code == 400


def test_version_quality(api_client, catalog) -> None:
    from governance.scoring.services import refresh_version_scores

    version = catalog["pony_lora"].versions.first()
    refresh_version_scores(version=version)
    response = api_client.get(reverse("quality-version", args=[version.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["version_id"] == version.pk
    assert body["explanation"].startswith("Quality ")
    shown = {p["name"] for p in body["parts"] + body["context"]}
    assert shown >= {"metadata_completeness", "license_clarity", "availability"}
    assert "security" not in shown  # no files: it abstains
    private = catalog["private"].versions.first()
    assert api_client.get(reverse("quality-version", args=[private.pk])).status_code == 404


def test_anonymous_is_refused(client, catalog) -> None:
    response = client.get(reverse("recommendations-for-me"))
    assert response.status_code in (401, 403)


def test_for_me_with_a_signed_in_session(client, user, member, catalog) -> None:
    # Through the middleware the user is a lazy wrapper, not the model instance.
    from tests.recommendations.conftest import use

    use(user, catalog["checkpoint"], team=member)
    client.force_login(user)
    response = client.get(reverse("recommendations-for-me"))
    assert response.status_code == 200
    assert catalog["checkpoint"].pk not in [row["model"]["id"] for row in response.json()]
