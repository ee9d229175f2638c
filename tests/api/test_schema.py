"""The OpenAPI schema documents every endpoint, parameter and error response."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}

#: What issue #8 asks to be reachable through the API, by area.
EXPECTED_PATHS = {
    "catalog": ["/api/models/", "/api/versions/{id}/", "/api/files/{id}/download/"],
    "uploads": ["/api/uploads/", "/api/uploads/{id}/complete/"],
    "approvals": ["/api/requests/{id}/reviews/", "/api/waivers/{id}/revoke/"],
    "lifecycle": ["/api/versions/{id}/deprecate/", "/api/versions/{id}/retire/"],
    "scans and findings": [
        "/api/scans/",
        "/api/scans/{id}/",
        "/api/findings/",
        "/api/findings/{id}/",
    ],
    "gates": [
        "/api/gate-runs/",
        "/api/gate-runs/{id}/",
        "/api/versions/{id}/gates/",
        "/api/gate/check/",
    ],
    "usage": ["/api/usage-events/", "/api/usage-events/{id}/"],
    "audit": ["/api/audit/", "/api/audit/{id}/"],
    "keys": ["/api/keys/", "/api/keys/{id}/", "/api/keys/{id}/revoke/"],
    "teams": [
        "/api/teams/",
        "/api/teams/{slug}/",
        "/api/memberships/",
        "/api/memberships/{id}/",
        "/api/service-accounts/",
        "/api/service-accounts/{id}/",
    ],
    # The licensing issue's endpoints, linked here so the schema covers them too.
    "licensing": [
        "/api/licenses/",
        "/api/intended-uses/",
        "/api/license-decisions/",
        "/api/compliance-reports/",
    ],
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


@pytest.mark.parametrize("area", sorted(EXPECTED_PATHS))
def test_every_capability_is_in_the_schema(schema, area) -> None:
    missing = [path for path in EXPECTED_PATHS[area] if path not in schema["paths"]]
    assert not missing, missing


def test_every_operation_documents_its_errors_as_problem_documents(schema) -> None:
    responses = schema["components"]["responses"]
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    for name, response in responses.items():
        if name != "RangeNotSatisfiable":
            assert list(response["content"]) == ["application/problem+json"], name
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        assert {"401", "403", "429"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if method != "get":
            assert {"400", "409"} <= codes, (method, path)
        if "requestBody" in operation:
            assert "415" in codes, (method, path)
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")):
                assert response["$ref"].startswith("#/components/responses/"), (method, path)
    assert "Retry-After" in responses["TooManyRequests"]["headers"]
    assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]


def test_idempotent_operations_document_the_idempotency_key(schema) -> None:
    documented = {
        (path, method)
        for path, method, operation in operations(schema)
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    for expected in [
        ("/api/gate/check/", "post"),
        ("/api/requests/", "post"),
        ("/api/keys/{id}/revoke/", "post"),
        ("/api/versions/{id}/retire/", "post"),
    ]:
        assert expected in documented
    assert ("/api/keys/", "post") not in documented  # its answer holds the secret: not stored


def test_the_gate_check_is_fully_described(schema) -> None:
    components = schema["components"]["schemas"]
    request = components["GateCheckRequestRequest"]
    assert set(request["required"]) == {"profile", "items"}
    assert components["GateReason"]["properties"]["code"]["$ref"].endswith("GateReasonCodeEnum")
    codes = components["GateReasonCodeEnum"]["enum"]
    assert {
        "not_in_catalog",
        "retired",
        "deprecated",
        "license_not_compliant",
        "open_finding",
        "waived_finding",
        "quarantined",
        "not_approved",
    } <= set(codes)
    assert schema["paths"]["/api/gate/check/"]["post"]["security"] == [
        {"apiKey": []},
        {"cookieAuth": []},
    ]


def test_retired_downloads_are_documented_as_gone(schema) -> None:
    responses = schema["paths"]["/api/files/{id}/download/"]["get"]["responses"]
    assert responses["410"]["$ref"] == "#/components/responses/Gone"
    assert responses["416"]["$ref"] == "#/components/responses/RangeNotSatisfiable"
