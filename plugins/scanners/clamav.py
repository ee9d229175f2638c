"""Optional virus scan of every file through a ClamAV daemon (clamd).

Configured with a Unix socket, ``HUBGATE_PLUGINS={"clamav": {"socket": "/run/clamav/clamd.ctl"}}``,
or TCP, ``{"clamav": {"host": "127.0.0.1", "port": 3310}}``, plus ``timeout`` (seconds per
socket operation, default 120) and ``max_stream_bytes`` (default 4 GiB). Without a socket or a
host the plugin abstains from every file, so installing it changes nothing until an operator
points it at a daemon.

The file is streamed with clamd's ``zINSTREAM`` command in 1 MiB chunks (4-byte big-endian
length, then the bytes; a zero length ends the stream), never held whole in memory. A
signature match is a critical finding. A file larger than ``max_stream_bytes``, or than clamd's
own ``StreamMaxLength`` (it answers ``INSTREAM size limit exceeded``), is reported as not
scanned by ClamAV (medium: the format scanners still ran; raise clamd's limit to cover model
files). Any other error, a timeout or an unreachable daemon raises, so Hubgate records a failed
scan and the file fails closed: a virus scanner that was configured and cannot answer must not
let a file pass.
"""

from __future__ import annotations

import math
import socket
import struct
from collections.abc import Mapping
from typing import Any, BinaryIO

from governance.hookspecs import FileToScan, Finding, PluginSettings, Severity, hookimpl

NAME = "clamav"
CHUNK = 1 << 20
DEFAULT_PORT = 3310
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_STREAM_BYTES = 4 << 30
MAX_REPLY_BYTES = 4096


class ClamdError(RuntimeError):
    """clamd could not give a verdict; the scan must fail closed."""


def _one_daemon(settings: Mapping[str, Any]) -> None:
    if settings["socket"] is not None and settings["host"] is not None:
        raise ValueError("configure either a clamav socket or a host, not both")
    if settings["port"] is not None and settings["host"] is None:
        raise ValueError("port needs a host")


_NONE = type(None)
hubgate_settings = PluginSettings(
    # Neither socket nor host: the plugin is not configured and abstains.
    defaults={
        "socket": None,
        "host": None,
        "port": None,
        "timeout": DEFAULT_TIMEOUT,
        "max_stream_bytes": DEFAULT_MAX_STREAM_BYTES,
    },
    types={
        "socket": (str, _NONE),
        "host": (str, _NONE),
        "port": (int, _NONE),
        "timeout": float,
        "max_stream_bytes": int,
    },
    checks={
        "socket": (bool, "the path of clamd's Unix socket"),
        "host": (bool, "a host name or address"),
        "port": (lambda value: 0 < value < 65536, "an integer between 1 and 65535"),
        "timeout": (
            lambda value: math.isfinite(value) and value > 0,
            "a positive number of seconds",
        ),
        "max_stream_bytes": (lambda value: value >= 1, "a positive integer"),
    },
    validate=_one_daemon,
)


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    if hubgate_settings["socket"] is None and hubgate_settings["host"] is None:
        return None  # not configured: abstain
    with file.open() as fh:
        size = fh.seek(0, 2)
        fh.seek(0)
        limit = hubgate_settings["max_stream_bytes"]
        if size > limit:
            return [_not_scanned(f"the file is {size} bytes, above max_stream_bytes ({limit})")]
        reply = _instream(fh)
    return _verdict(reply)


def _port() -> int:
    return hubgate_settings["port"] or DEFAULT_PORT


def _daemon() -> str:
    if hubgate_settings["socket"] is not None:
        return f"unix:{hubgate_settings['socket']}"
    return f"{hubgate_settings['host']}:{_port()}"


def _connect() -> socket.socket:
    timeout = hubgate_settings["timeout"]
    try:
        if hubgate_settings["socket"] is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(hubgate_settings["socket"])
            except BaseException:
                sock.close()
                raise
            return sock
        return socket.create_connection((hubgate_settings["host"], _port()), timeout=timeout)
    except OSError as exc:
        raise ClamdError(f"clamd at {_daemon()} is unreachable: {exc}") from exc


def _instream(fh: BinaryIO) -> str:
    """Stream the file to clamd and return its reply, without the trailing NUL."""
    with _connect() as sock:
        try:
            sock.sendall(b"zINSTREAM\0")
            while chunk := fh.read(CHUNK):
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
        except TimeoutError as exc:
            raise ClamdError(f"clamd at {_daemon()} timed out receiving the file") from exc
        except OSError as exc:
            # clamd answers and hangs up as soon as the stream exceeds StreamMaxLength; read
            # what it said before deciding this was a failure.
            reply = _read_reply(sock, failed_send=exc)
            if reply:
                return reply
            raise ClamdError(f"clamd at {_daemon()} closed the connection: {exc}") from exc
        return _read_reply(sock, failed_send=None)


def _read_reply(sock: socket.socket, failed_send: OSError | None) -> str:
    data = b""
    try:
        while b"\0" not in data and len(data) < MAX_REPLY_BYTES:
            part = sock.recv(MAX_REPLY_BYTES)
            if not part:
                break
            data += part
    except TimeoutError as exc:
        if failed_send is not None:
            return ""
        raise ClamdError(f"clamd at {_daemon()} did not answer in time") from exc
    except OSError as exc:
        if failed_send is not None:
            return data.split(b"\0")[0].decode("utf-8", errors="replace").strip()
        raise ClamdError(f"clamd at {_daemon()} failed while answering: {exc}") from exc
    return data.split(b"\0")[0].decode("utf-8", errors="replace").strip()


def _verdict(reply: str) -> list[Finding]:
    if reply.startswith("stream:"):
        result = reply.removeprefix("stream:").strip()
        if result == "OK":
            return []
        if result.endswith(" FOUND"):
            signature = result.removesuffix(" FOUND").strip()[:200]
            return [
                Finding(
                    code="clamav.infected",
                    severity=Severity.CRITICAL,
                    message=f"ClamAV found {signature}.",
                    detail={"signature": signature, "daemon": _daemon()},
                )
            ]
    if "size limit exceeded" in reply:
        return [_not_scanned(f"clamd refused the stream: {reply[:200]}")]
    if not reply:
        raise ClamdError(f"clamd at {_daemon()} closed the connection without a verdict")
    raise ClamdError(f"clamd at {_daemon()} answered {reply[:200]!r}")


def _not_scanned(reason: str) -> Finding:
    return Finding(
        code="clamav.size_limit_exceeded",
        severity=Severity.MEDIUM,
        message=f"ClamAV did not scan this file: {reason}.",
        detail={"reason": reason, "daemon": _daemon()},
    )
