"""An HTTP client for CivitAI's public REST API v1 that a broken or hostile hub cannot fool.

- Timeouts on every request; retries with exponential backoff and full jitter on timeouts,
  connection errors and 5xx answers; ``429`` waits for ``Retry-After`` (seconds or an HTTP
  date), and a wait longer than ``max_retry_after`` becomes :class:`HubRateLimited`, so a
  Celery task can retry later instead of holding a worker.
- The API key travels only as ``Authorization: Bearer`` to the configured origin. It is never
  put in a URL, never logged and not in ``repr``; httpx drops the header when a download
  redirects to another origin (CivitAI's signed storage URLs), and the client follows the
  hub's ``nextPage`` links and ``downloadUrl``\\s only on the configured origin.
- Every connection, the hub's and each redirect hop's, goes through
  :class:`governance.net.OutboundTransport`: internal and metadata addresses are refused
  after DNS unless ``HUBGATE_OUTBOUND_ALLOW`` lists them (a hub mirror, the local fake hub).
- JSON bodies are size-capped and must parse; page and cursor pagination stop with
  :class:`HubPaginationLoop` when a cursor or page repeats, a page brings nothing new, or the
  page count passes ``max_pages``.
- Downloads stream, and resume with ``Range`` from the last byte received when the body is
  cut short.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from governance.errors import InvalidHubPayload
from governance.events.http import parse_retry_after
from governance.net import OutboundRefused, OutboundTransport

from .errors import (
    HubError,
    HubLoginRequired,
    HubNotFound,
    HubPaginationLoop,
    HubRateLimited,
    HubUnavailable,
)

logger = logging.getLogger(__name__)

USER_AGENT = "Hubgate-Connector/1 (+https://github.com/hubgate)"
DOWNLOAD_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in all, backoff ``base * 2**n`` capped at ``cap``."""

    attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    #: A 429 asking for a longer wait than this is raised instead of waited out.
    max_retry_after: float = 120.0

    def backoff(self, failures: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(failures-1))]."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(failures - 1, 0))
        return random.uniform(0, ceiling)


@dataclass(frozen=True)
class Health:
    ok: bool
    latency_ms: int
    detail: str


def _error_text(response: httpx.Response) -> str:
    """CivitAI's ``{"error": …}`` message if there is one, else a short excerpt."""
    try:
        body = json.loads(response.content[:4096])
    except ValueError:
        return response.content[:200].decode("utf-8", "replace").strip()
    if isinstance(body, dict):
        message = body.get("error") or body.get("message")
        if isinstance(message, str):
            return message[:200]
    return str(body)[:200]


class CivitaiClient:
    """One connection pool to one CivitAI origin. Use as a context manager, or ``close()``."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        max_pages: int = 10_000,
        max_json_bytes: int = 64 * 1024 * 1024,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the hub's base URL must be an http(s) URL")
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self.has_api_key = bool(api_key)
        self.retry = retry or RetryPolicy()
        self.max_pages = max_pages
        self.max_json_bytes = max_json_bytes
        self._sleep = sleep
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            follow_redirects=False,
            transport=transport or OutboundTransport(),
            # An environment proxy would connect on our behalf, past the transport's check.
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"<CivitaiClient {self.base_url} api_key={'set' if self.has_api_key else 'none'}>"

    def __enter__(self) -> CivitaiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the endpoints -------------------------------------------------------------------

    def model(self, model_id: int) -> dict[str, Any]:
        return self._object(f"/api/v1/models/{int(model_id)}")

    def model_version(self, version_id: int) -> dict[str, Any]:
        return self._object(f"/api/v1/model-versions/{int(version_id)}")

    def version_by_hash(self, file_hash: str) -> dict[str, Any]:
        if not file_hash.isalnum():
            raise HubError("a file hash is letters and digits only")
        return self._object(f"/api/v1/model-versions/by-hash/{file_hash}")

    def models(self, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``/api/v1/models`` items (each a full model document)."""
        return self.pages("/api/v1/models", params)

    def tags(self, **params: Any) -> Iterator[list[dict[str, Any]]]:
        return self.pages("/api/v1/tags", params)

    def creators(self, **params: Any) -> Iterator[list[dict[str, Any]]]:
        return self.pages("/api/v1/creators", params)

    def images(self, **params: Any) -> Iterator[list[dict[str, Any]]]:
        return self.pages("/api/v1/images", params)

    def health(self) -> Health:
        """One cheap request, no retries: is the hub answering, and how fast?"""
        started = time.monotonic()
        try:
            response = self._http.get("/api/v1/models", params={"limit": 1})
        except (httpx.HTTPError, OutboundRefused) as exc:
            return Health(False, int((time.monotonic() - started) * 1000), _describe(exc))
        latency = int((time.monotonic() - started) * 1000)
        if response.status_code == 200:
            return Health(True, latency, "OK")
        return Health(False, latency, f"HTTP {response.status_code}: {_error_text(response)}")

    # --- JSON requests ---------------------------------------------------------------------

    def _object(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = self.get_json(path, params)
        if not isinstance(body, dict):
            raise InvalidHubPayload(
                f"The hub answered {path} with a {type(body).__name__}, not an object"
            )
        return body

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and parse its JSON, with retries; the hub's errors as HubErrors."""
        failures = 0
        while True:
            try:
                status, headers, content = self._get_capped(path, params)
            except httpx.TransportError as exc:  # timeouts, refused, reset, truncated body
                failures += 1
                self._retry_or_raise(failures, path, _describe(exc))
                continue
            if status == 429:
                failures += 1
                wait = parse_retry_after(headers.get("retry-after"))
                if wait is not None and wait > self.retry.max_retry_after:
                    raise HubRateLimited(
                        f"CivitAI is rate limiting us for {wait:.0f} s on {path}", retry_after=wait
                    )
                if failures >= self.retry.attempts:
                    raise HubRateLimited(
                        f"CivitAI kept answering 429 to {path} after {failures} attempts",
                        retry_after=wait or self.retry.backoff_cap,
                    )
                delay = wait if wait is not None else self.retry.backoff(failures)
                logger.warning("CivitAI rate limit on %s; waiting %.1f s", path, delay)
                self._sleep(delay)
                continue
            if status >= 500:
                failures += 1
                self._retry_or_raise(failures, path, f"HTTP {status}")
                continue
            response = httpx.Response(status, headers=headers, content=content)
            if status != 200:
                raise self._status_error(response, path)
            try:
                return json.loads(content)
            except ValueError:
                raise InvalidHubPayload(
                    f"The hub answered {path} with malformed JSON ({len(content)} bytes)"
                ) from None

    def _get_capped(
        self, path: str, params: Mapping[str, Any] | None
    ) -> tuple[int, httpx.Headers, bytes]:
        with (
            self._refusal_as_hub_error(path),
            self._http.stream("GET", path, params=_clean(params)) as response,
        ):
            if response.status_code != 200:
                return response.status_code, response.headers, response.read()[:65536]
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_json_bytes:
                raise HubError(f"The hub's answer to {path} is too large ({declared} bytes)")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_json_bytes:
                    raise HubError(
                        f"The hub's answer to {path} is larger than {self.max_json_bytes} bytes"
                    )
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    def _retry_or_raise(self, failures: int, what: str, why: str) -> None:
        if failures >= self.retry.attempts:
            raise HubUnavailable(
                f"CivitAI did not answer {what} after {failures} attempts (last: {why})"
            )
        delay = self.retry.backoff(failures)
        logger.warning("CivitAI %s failed (%s); retry %d in %.2f s", what, why, failures, delay)
        self._sleep(delay)

    def _status_error(self, response: httpx.Response, what: str) -> HubError:
        text = _error_text(response)
        if response.status_code == 404:
            return HubNotFound(f"CivitAI has no {what}: {text or 'not found'}")
        if response.status_code in (401, 403):
            return self._login_error(what, text)
        return HubError(f"CivitAI answered {what} with HTTP {response.status_code}: {text}")

    def _login_error(self, what: str, text: str) -> HubLoginRequired:
        if not self.has_api_key:
            return HubLoginRequired(
                f"CivitAI requires a signed-in user for {what} ({text or 'login required'}); "
                "set HUBGATE_CIVITAI_API_KEY to a CivitAI API key."
            )
        return HubLoginRequired(
            f"CivitAI refused our API key for {what} ({text or 'unauthorized'}): the key is "
            "invalid, expired, or its account may not access this resource."
        )

    # --- pagination ------------------------------------------------------------------------

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[dict]]:
        """Every page of a list endpoint, following ``metadata.nextCursor`` or ``nextPage``."""
        query = dict(_clean(params) or {})
        seen_cursors: set[str] = set()
        seen_pages: set[str] = set()
        seen_items: set[Any] = set()
        for number in range(1, self.max_pages + 1):
            body = self._object(path, query)
            items = body.get("items")
            if not isinstance(items, list):
                raise InvalidHubPayload(f"The hub's answer to {path} has no items list")
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    raise InvalidHubPayload(f"items[{i}] of {path} page {number} is not an object")
            keys = [_item_key(item) for item in items]
            fresh = [key for key in keys if key not in seen_items]
            if items and not fresh:
                raise HubPaginationLoop(
                    f"Page {number} of {path} repeats items already received; stopping."
                )
            seen_items.update(keys)
            yield items
            metadata = body.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise InvalidHubPayload(f"metadata of {path} page {number} is not an object")
            cursor, next_page = metadata.get("nextCursor"), metadata.get("nextPage")
            if cursor not in (None, ""):
                cursor = str(cursor)
                if cursor in seen_cursors or cursor == query.get("cursor"):
                    raise HubPaginationLoop(f"{path} gave the cursor {cursor!r:.40} twice")
                seen_cursors.add(cursor)
                query = {**query, "cursor": cursor}
                query.pop("page", None)
            elif isinstance(next_page, str) and next_page:
                next_query = self._same_origin_query(next_page, path)
                marker = json.dumps(sorted(next_query.items()))
                if marker in seen_pages or next_query == query:
                    raise HubPaginationLoop(f"{path} pointed at the same next page twice")
                seen_pages.add(marker)
                query = next_query
            else:
                return
            if not items:
                raise HubPaginationLoop(f"{path} page {number} is empty but claims a next page")
        raise HubPaginationLoop(f"{path} has more than {self.max_pages} pages; stopping.")

    def _same_origin_query(self, url: str, path: str) -> dict[str, str]:
        """The query of the hub's ``nextPage`` link; we request it on our own origin."""
        parts = urlsplit(url)
        if parts.path.rstrip("/") != path.rstrip("/"):
            raise InvalidHubPayload(f"metadata.nextPage of {path} points elsewhere")
        return dict(parse_qsl(parts.query, keep_blank_values=True))

    # --- downloads -------------------------------------------------------------------------

    def download_path(self, download_url: str) -> str:
        """The path and query of a hub ``downloadUrl``, to fetch from the configured origin."""
        parts = urlsplit(download_url)
        if not parts.path.startswith("/api/download/"):
            raise HubError(f"{download_url!r:.100} is not a CivitAI download URL")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def stream_download(
        self,
        path: str,
        *,
        expected_size: int | None = None,
        chunk_size: int = DOWNLOAD_CHUNK,
        on_progress: Callable[[int], None] | None = None,
        max_size: int | None = None,
    ) -> Iterator[bytes]:
        """The bytes of a download, resumed with ``Range`` after a cut; a generator.

        Redirects are followed (CivitAI answers 307 to signed storage URLs); a redirect to
        the hub's login page, a 401 or a 403 is :class:`HubLoginRequired`. More bytes than
        ``expected_size`` (or than ``max_size`` when the size is unknown) is an error; fewer,
        a resume.
        """
        limit = expected_size if expected_size is not None else max_size
        received = 0
        failures = 0
        while True:
            at_start = received
            headers = {"Accept-Encoding": "identity", "Accept": "*/*"}
            if received:
                headers["Range"] = f"bytes={received}-"
            response = self._open_download(path, headers)
            buffer = bytearray()
            cut: Exception | None = None
            try:
                skip = self._resume_offset(response, received, path)
                for piece in response.iter_raw():
                    if skip:
                        dropped = min(skip, len(piece))
                        piece, skip = piece[dropped:], skip - dropped
                    buffer += piece
                    if len(buffer) >= chunk_size:
                        received = self._check_size(received + len(buffer), limit, path)
                        chunk = bytes(buffer)
                        buffer.clear()
                        yield chunk
                        if on_progress is not None:
                            on_progress(received)
            except httpx.TransportError as exc:
                cut = exc
            finally:
                response.close()
            if buffer:  # what arrived before a cut is good: keep it, resume after it
                received = self._check_size(received + len(buffer), limit, path)
                yield bytes(buffer)
                if on_progress is not None:
                    on_progress(received)
            if cut is None and (expected_size is None or received >= expected_size):
                return
            # A cut after progress starts the count again: a long download on a flaky line
            # may resume many times, as long as each attempt gets further.
            failures = 1 if received > at_start else failures + 1
            why = _describe(cut) if cut else f"body ended at byte {received} of {expected_size}"
            self._retry_or_raise(failures, f"download {path} at byte {received}", why)

    @staticmethod
    def _check_size(received: int, limit: int | None, path: str) -> int:
        if limit is not None and received > limit:
            raise HubError(f"{path} sent more than the {limit} bytes expected; stopped")
        return received

    def _open_download(self, path: str, headers: dict[str, str]) -> httpx.Response:
        """The download response after redirects, 429 and 5xx retried; close it after use."""
        failures = 0
        while True:
            try:
                response = self._follow(
                    self._http.build_request("GET", path, headers=headers), path
                )
            except httpx.TransportError as exc:
                failures += 1
                self._retry_or_raise(failures, f"download {path}", _describe(exc))
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                response.close()
                failures += 1
                wait = parse_retry_after(response.headers.get("retry-after"))
                if status == 429 and wait is not None:
                    if wait > self.retry.max_retry_after or failures >= self.retry.attempts:
                        raise HubRateLimited(
                            f"CivitAI is rate limiting downloads for {wait:.0f} s",
                            retry_after=wait,
                        )
                    self._sleep(wait)
                    continue
                self._retry_or_raise(failures, f"download {path}", f"HTTP {status}")
                continue
            if status not in (200, 206):
                response.read()
                response.close()
                raise self._status_error(response, f"download {path}")
            if response.headers.get("content-type", "").startswith("text/html"):
                response.close()
                raise self._login_error(f"download {path}", "it answered with a web page")
            return response

    def _follow(self, request: httpx.Request, path: str) -> httpx.Response:
        """Send, following at most five redirects; httpx drops our Authorization header when
        a redirect leaves the hub's origin. A redirect to a sign-in page means login needed."""
        with self._refusal_as_hub_error(f"download {path}"):
            response = self._http.send(request, stream=True)
        for _ in range(5):
            if not response.is_redirect or response.next_request is None:
                return response
            location = response.headers.get("location", "")
            next_request = response.next_request
            response.close()
            if _looks_like_login(location):
                raise self._login_error(f"download {path}", "it redirected to its sign-in page")
            if not self._may_follow(next_request.url):
                raise HubError(
                    f"download {path} redirected to a {next_request.url.scheme!r} URL; refused"
                )
            # The transport refuses an internal destination, after DNS, on this hop too.
            with self._refusal_as_hub_error(f"download {path}"):
                response = self._http.send(next_request, stream=True)
        response.close()
        raise HubError(f"download {path} redirected more than five times")

    @staticmethod
    def _may_follow(url: httpx.URL) -> bool:
        """http(s) only; where it may lead is the transport's check (governance.net), made
        on the resolved address of every connection."""
        return url.scheme in ("http", "https")

    @staticmethod
    @contextlib.contextmanager
    def _refusal_as_hub_error(what: str) -> Iterator[None]:
        """A destination governance.net refuses is the hub's fault, and never retried."""
        try:
            yield
        except OutboundRefused as exc:
            raise HubError(f"{what}: {exc}") from None

    @staticmethod
    def _resume_offset(response: httpx.Response, received: int, path: str) -> int:
        """How many leading bytes of this response we already have (a server ignoring Range
        resends from 0)."""
        if not received:
            return 0
        if response.status_code == 200:
            return received
        content_range = response.headers.get("content-range", "")
        start = content_range.removeprefix("bytes ").split("-", 1)[0]
        if not start.isdigit() or int(start) != received:
            raise HubError(f"{path} resumed at {content_range!r:.40}, not at byte {received}")
        return 0


def _looks_like_login(location: str) -> bool:
    path = urlsplit(location).path.lower()
    return path.startswith(("/login", "/api/auth/signin")) or "/login" in path


def _item_key(item: dict) -> Any:
    key = item.get("id")
    if key is None:
        key = item.get("name") or item.get("username") or json.dumps(item, sort_keys=True)[:200]
    return key if isinstance(key, str | int) else str(key)


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list | tuple):
            value = [str(v) for v in value]
        clean[key] = value
    return clean


def _describe(exc: Exception) -> str:
    """An exception for a log line or error message, without any header (so no key)."""
    return f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
