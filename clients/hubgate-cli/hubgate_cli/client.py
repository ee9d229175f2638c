"""The one call the CLI makes: ``POST /api/gate/check/``, batched, retried, with timeouts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from . import __version__

#: Items per request (the server takes up to 500).
BATCH_SIZE = 200


class CheckError(Exception):
    """Hubgate did not give an answer. ``unavailable``: it could not be reached or failed
    (5xx, throttled) — ``--fail-open`` may let the job pass; otherwise it refused the request
    (401, 403, 400 …), which no setting lets pass."""

    def __init__(self, message: str, *, unavailable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.unavailable = unavailable
        self.status = status


class GateClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/api/gate/check/"
        self.retries = retries
        self.http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"hubgate-cli/{__version__}",
            },
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def check(
        self,
        *,
        profile: str,
        items: Sequence[dict[str, str]],
        record_deployment: bool = False,
        ci: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One answer for every item, however many requests that takes."""
        merged: dict[str, Any] = {}
        for start in range(0, len(items), BATCH_SIZE):
            body: dict[str, Any] = {
                "profile": profile,
                "items": list(items[start : start + BATCH_SIZE]),
                "record_deployment": record_deployment,
            }
            if ci:
                body["ci"] = ci
            answer = self._post(body)
            for item in answer.get("items", []):
                item["index"] = item.get("index", 0) + start
            if not merged:
                merged = answer
            else:
                merged["items"].extend(answer.get("items", []))
                merged["passed"] = merged.get("passed", 0) + answer.get("passed", 0)
                merged["failed"] = merged.get("failed", 0) + answer.get("failed", 0)
                if answer.get("outcome") == "fail":
                    merged["outcome"] = "fail"
        return merged

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.post(self.endpoint, json=body)
            except httpx.HTTPError as exc:
                if attempt <= self.retries:
                    time.sleep(min(2**attempt, 10) / 4)
                    continue
                raise CheckError(
                    f"Hubgate at {self.endpoint} is unreachable: {exc.__class__.__name__}: {exc}",
                    unavailable=True,
                ) from None
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError:
                    raise CheckError(
                        f"Hubgate answered 200 with something that is not JSON "
                        f"(is {self.endpoint} a Hubgate server?)",
                        unavailable=True,
                        status=200,
                    ) from None
            retryable = response.status_code >= 500 or response.status_code == 429
            if retryable and attempt <= self.retries:
                time.sleep(_retry_after(response, attempt))
                continue
            raise CheckError(
                _problem_text(response), unavailable=retryable, status=response.status_code
            )


def _retry_after(response: httpx.Response, attempt: int) -> float:
    raw = response.headers.get("Retry-After", "")
    if raw.isdigit():
        return min(float(raw), 30.0)
    return min(2**attempt, 10) / 4


def _problem_text(response: httpx.Response) -> str:
    """The server's problem document in one line, or what little else there is."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "detail" in body:
        text = f"{body.get('title', 'Error')}: {body['detail']}"
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            parts = [
                f"{key}: {', '.join(map(str, value if isinstance(value, list) else [value]))}"
                for key, value in errors.items()
            ]
            text += " (" + "; ".join(parts) + ")"
        return f"Hubgate refused the check ({response.status_code}): {text}"
    return f"Hubgate answered {response.status_code} {response.reason_phrase}"
