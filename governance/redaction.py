"""Secrets kept out of logs: the one list of query-string parameters that carry them.

CivitAI-style clients send their key as ``?token=…``; presigned storage URLs and sign-in
callbacks carry signatures and codes the same way. Every log line Hubgate writes (the
``RedactSecretsFilter`` on the handlers in ``config/settings``) and gunicorn's access log
(``deploy/gunicorn.conf.py``) pass through :func:`redact`, so this module has no Hubgate
imports: it sits at the bottom layer and is loaded by gunicorn's config file too.
"""

from __future__ import annotations

import logging
import re

#: Query-string parameters whose value is a secret (compared case-insensitively).
SECRET_QUERY_PARAMS: tuple[str, ...] = (
    "token",
    "key",
    "api_key",
    "apikey",
    "api-key",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "authorization",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "signature",
    "sig",
    "code",
    "sessionid",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
)

REDACTED = "[redacted]"

_QUERY_SECRET = re.compile(
    r"(?P<name>(?:^|(?<=[?&;]))(?:"
    + "|".join(re.escape(name) for name in SECRET_QUERY_PARAMS)
    + r")=)[^&;#\s\"']*",
    re.IGNORECASE,
)
# A Hubgate key (hg_<prefix>_<secret>) anywhere in a message, however it got there.
_HUBGATE_KEY = re.compile(r"\bhg_[A-Za-z0-9]+_[A-Za-z0-9_-]+")


def redact(text: str) -> str:
    """``text`` with every secret query parameter's value and every Hubgate key replaced."""
    if not text:
        return text
    text = _QUERY_SECRET.sub(lambda m: m.group("name") + REDACTED, text)
    return _HUBGATE_KEY.sub("hg_" + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """A handler filter that rewrites each record's message with :func:`redact`.

    Set on handlers rather than loggers: a handler sees every record propagated to it,
    a logger's filter only the records logged on that very logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
