"""Two reviewers clicking at the same moment, over real HTTP, on PostgreSQL."""

import secrets
import threading

import httpx
import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from governance.approvals.models import ModelRequest
from governance.audit.models import AuditEntry
from governance.catalog.models import VersionState as S
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def session_for(user) -> dict[str, str]:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    csrf = secrets.token_hex(16)  # a 32-character secret is accepted as the CSRF cookie
    return {"sessionid": session.session_key, "csrftoken": csrf}


def post_together(url: str, clients: list[tuple[dict, dict]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(clients))
    responses: list[httpx.Response | None] = [None] * len(clients)

    def send(i: int, cookies: dict, body: dict) -> None:
        with httpx.Client(cookies=cookies, timeout=30) as http:
            barrier.wait()
            responses[i] = http.post(url, json=body, headers={"X-CSRFToken": cookies["csrftoken"]})

    threads = [threading.Thread(target=send, args=(i, c, b)) for i, (c, b) in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses  # type: ignore[return-value]


def test_two_reviewers_at_once_make_exactly_one_transition(
    live_server, company, stored_version, django_capture_on_commit_callbacks
) -> None:
    from governance.approvals.services import request_model

    company.policy.required_roles.set([company.security])
    company.policy.quorum = 1
    company.policy.save()
    second = UserFactory(username="sasha")
    second.role_assignments.create(role=company.security)
    version = stored_version()
    with django_capture_on_commit_callbacks(execute=True):
        request = request_model(
            requester=company.alice,
            team=company.team,
            version=version,
            intended_use="internal-research",
        )
    url = f"{live_server.url}/api/requests/{request.pk}/reviews/"
    responses = post_together(
        url,
        [
            (session_for(company.sam), {"decision": "approve"}),
            (session_for(second), {"decision": "approve"}),
        ],
    )
    # The row lock serialises them: the first approves; the second finds the request decided.
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    request.refresh_from_db()
    version.refresh_from_db()
    assert (request.state, version.state) == ("approved", S.APPROVED)
    approvals = AuditEntry.objects.filter(action="version.approved", object_id=str(version.pk))
    assert approvals.count() == 1, "exactly one transition"
    assert ModelRequest.objects.get(pk=request.pk).reviews.count() == 1


def test_the_same_idempotency_key_sent_twice_at_once_runs_once(
    live_server, company, stored_version
) -> None:
    version = stored_version()
    cookies = session_for(company.alice)
    body = {"version": version.pk, "team": "studio", "intended_use": "internal-research"}
    barrier = threading.Barrier(2)
    results: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(cookies=cookies, timeout=30) as http:
            barrier.wait()
            results.append(
                http.post(
                    f"{live_server.url}/api/requests/",
                    json=body,
                    headers={"X-CSRFToken": cookies["csrftoken"], "Idempotency-Key": "same-click"},
                )
            )

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(r.status_code for r in results)
    assert codes in ([201, 201], [201, 409]), [r.text for r in results]
    assert ModelRequest.objects.filter(version=version).count() == 1
