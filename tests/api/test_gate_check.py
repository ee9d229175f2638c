"""POST /api/gate/check/ over HTTP: scope ci, problem documents, Idempotency-Key."""

import pytest

from governance.api.authentication import ApiKeyRateThrottle
from governance.usage.models import UsageEvent
from tests.api.conftest import assert_problem, bearer
from tests.gates.world import PROFILE

pytestmark = pytest.mark.django_db
URL = "/api/gate/check/"


def test_a_ci_key_checks_files(world) -> None:
    body = {
        "profile": PROFILE,
        "items": [
            {"hash": world.sha256("approved"), "name": "a.safetensors"},
            {"ref": f"urn:air:sdxl:lora:civitai:1@{world.versions['retired'].external_id}"},
        ],
    }
    response = bearer(world.ci_key).post(URL, body, format="json")
    assert response.status_code == 200, response.content
    result = response.json()
    assert (result["outcome"], result["passed"], result["failed"]) == ("fail", 1, 1)
    approved, retired = result["items"]
    assert (approved["verdict"], approved["name"], approved["file"]["name"]) == (
        "pass",
        "a.safetensors",
        "approved.safetensors",
    )
    assert retired["reasons"] == [
        {
            "code": "not_in_catalog",
            "level": "error",
            "gate": None,
            "file_id": None,
            "finding_id": None,
            "waiver_id": None,
            "severity": None,
            "expires_at": None,
            "sunset_at": None,
            "message": retired["reasons"][0]["message"],
        }
    ]  # the AIR names model 1, which is not the retired version's model


def test_the_check_needs_the_ci_scope(world) -> None:
    body = {"profile": PROFILE, "items": [{"hash": world.sha256("approved")}]}
    assert_problem(bearer(world.read_key).post(URL, body, format="json"), 403, "permission_denied")
    assert_problem(bearer("hg_bad_key").post(URL, body, format="json"), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"hash": "A" * 64}]}, "profile"),
        ({"profile": PROFILE, "items": []}, "items"),
        ({"profile": PROFILE, "items": [{"hash": "xyz"}]}, "items"),
        ({"profile": PROFILE, "items": [{"hash": "A" * 64, "ref": "1"}]}, "items"),
        ({"profile": PROFILE, "items": [{"ref": "https://example.com/m/1"}]}, "items"),
        ({"profile": PROFILE, "items": [{"ref": "1"}] * 501}, "items"),
        ({"profile": "not a slug", "items": [{"ref": "1"}]}, "profile"),
    ],
)
def test_bad_checks_are_validation_problems(world, body, field) -> None:
    response = bearer(world.ci_key).post(URL, body, format="json")
    assert field in assert_problem(response, 400, "invalid")["errors"]


def test_an_idempotency_key_records_one_deployment(world) -> None:
    body = {
        "profile": PROFILE,
        "items": [{"hash": world.sha256("approved")}],
        "record_deployment": True,
        "ci": {"repository": "acme/app", "commit": "abc"},
    }
    client = bearer(world.ci_key)
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pipeline-7")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pipeline-7")
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert UsageEvent.objects.filter(kind="deployment").count() == 1
    other = client.post(
        URL,
        {**body, "profile": "internal-research"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="pipeline-7",
    )
    assert_problem(other, 422, "idempotency_key_reused")


def test_too_many_requests_is_a_problem_with_retry_after(world, monkeypatch) -> None:
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"apikey": "2/min"})
    client = bearer(world.ci_key)
    body = {"profile": PROFILE, "items": [{"hash": world.sha256("approved")}]}
    for _ in range(2):
        assert client.post(URL, body, format="json").status_code == 200
    throttled = client.post(URL, body, format="json")
    assert_problem(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    cache.clear()


def test_the_answer_is_rendered_exactly_as_its_documented_serializer_would(world) -> None:
    from governance.ci.api.serializers import GateCheckSerializer, render_check
    from governance.ci.check import CheckItem, check_gate
    from tests.gates.world import EXPECTED

    items = [CheckItem(hash=world.sha256(name), name=name) for name in EXPECTED]
    items += [CheckItem(hash="AB" * 32), CheckItem(ref=str(world.versions["approved"].pk))]
    result = check_gate(
        user=world.bot, profile=PROFILE, items=items, record_deployment=True, ci={"commit": "c1"}
    )
    rendered = render_check(result)
    assert rendered == GateCheckSerializer(result).data
    reasons = [r for item in rendered["items"] for r in item["reasons"]]
    assert any(r["sunset_at"] for r in reasons) and any(r["expires_at"] for r in reasons)
    assert any(item["usage_event_id"] for item in rendered["items"])


@pytest.mark.parametrize(
    "pipeline_url",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
    ],
)
def test_a_pipeline_url_that_is_not_http_is_refused(world, pipeline_url) -> None:
    body = {
        "profile": PROFILE,
        "items": [{"hash": world.sha256("approved")}],
        "record_deployment": True,
        "ci": {"repository": "acme/app", "pipeline_url": pipeline_url},
    }
    response = bearer(world.ci_key).post(URL, body, format="json")
    assert_problem(response, 400)
    assert "pipeline_url" in response.content.decode()
    assert not UsageEvent.objects.exists()


def test_an_http_pipeline_url_is_recorded(world) -> None:
    url = "https://ci.example.com/acme/app/-/pipelines/7"
    body = {
        "profile": PROFILE,
        "items": [{"hash": world.sha256("approved")}],
        "record_deployment": True,
        "ci": {"pipeline_url": url},
    }
    response = bearer(world.ci_key).post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert UsageEvent.objects.get().metadata["pipeline_url"] == url


def test_the_usage_model_refuses_a_script_url_whoever_writes_it(world) -> None:
    from django.core.exceptions import ValidationError

    version = world.versions["approved"]
    with pytest.raises(ValidationError):
        UsageEvent.objects.create(
            kind=UsageEvent.Kind.DEPLOYMENT,
            version=version,
            metadata={"pipeline_url": "javascript:alert(1)"},
        )


def test_a_deprecated_version_fails_the_check_once_its_sunset_passes_without_beat(world) -> None:
    from datetime import timedelta

    import time_machine

    deprecated = world.versions["deprecated"]
    body = {"profile": PROFILE, "items": [{"hash": world.sha256("deprecated")}]}
    client = bearer(world.ci_key)
    before = client.post(URL, body, format="json").json()
    assert before["outcome"] == "pass", before  # and its verdict is stored
    sunset = deprecated.deprecation.sunset_at
    with time_machine.travel(sunset + timedelta(minutes=1), tick=False):
        after = client.post(URL, body, format="json").json()
    assert after["outcome"] == "fail", after
    assert after["items"][0]["reasons"][0]["code"] == "retired"
    deprecated.refresh_from_db()
    assert deprecated.state == "deprecated", "beat did not run: the check alone refuses"
