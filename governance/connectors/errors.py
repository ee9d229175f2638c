"""What can go wrong talking to a hub, as domain errors with a status and a clear message.

A malformed document is :class:`~governance.errors.InvalidHubPayload` (raised by the
validator in ``governance.catalog.hub_payload`` or by the client for bad JSON); everything
else the hub does wrong is one of these.
"""

from __future__ import annotations

from governance.errors import HubgateError, NotFound


class HubError(HubgateError):
    """The hub answered, but not with what we asked for."""

    status = 502
    code = "hub_error"
    title = "The hub failed"


class HubUnavailable(HubError):
    """Timeouts, refused connections or 5xx answers, still failing after every retry."""

    status = 503
    code = "hub_unavailable"
    title = "The hub is unavailable"


class HubRateLimited(HubUnavailable):
    """The hub said 429 and asked us to wait longer than we wait inside one call."""

    code = "hub_rate_limited"
    title = "The hub is rate limiting us"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class HubNotFound(NotFound):
    code = "hub_not_found"
    title = "Not found on the hub"


class HubLoginRequired(HubError):
    """The hub wants a signed-in user (a creator's "login required" download, early access)."""

    status = 502
    code = "hub_login_required"
    title = "The hub requires an API key"


class HubPaginationLoop(HubError):
    """The hub's pagination repeats itself or never ends."""

    code = "hub_pagination_loop"
    title = "The hub's pagination does not end"


class DownloadsBusy(HubError):
    """Every download slot is taken; try again later."""

    status = 503
    code = "downloads_busy"
    title = "Too many downloads at once"
