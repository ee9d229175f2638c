"""The ClamAV plugin against a fake clamd speaking the real INSTREAM protocol over real sockets."""

import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from governance.hookspecs import FileToScan, Severity
from governance.plugins import call_hook
from plugins.scanners import clamav
from plugins.scanners.clamav import ClamdError, hubgate_scan_file

# The EICAR test file, assembled at run time so this source file is not itself "infected".
EICAR = "".join(
    ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-", "ANTIVIRUS-TEST-", "FILE!$H+H*"]
).encode()


class FakeClamd:
    """Just enough clamd: zINSTREAM with StreamMaxLength, and a few ways to misbehave."""

    def __init__(self, *, stream_max: int = 1 << 30, reply: bytes | None = None) -> None:
        self.stream_max = stream_max
        self.reply = reply  # a fixed reply instead of a verdict
        self.hang = False  # read the stream, never answer
        self.hang_up = False  # read the stream, close without a word
        self.chunk_sizes: list[int] = []
        self.commands: list[bytes] = []

    def handle(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        command = b""
        while not command.endswith(b"\0"):
            byte = reader.read(1)
            if not byte:
                return
            command += byte
        self.commands.append(command)
        if command != b"zINSTREAM\0":
            conn.sendall(b"UNKNOWN COMMAND\0")
            return
        data = bytearray()
        while True:
            (length,) = struct.unpack(">I", reader.read(4))
            if length == 0:
                break
            self.chunk_sizes.append(length)
            data += reader.read(length)
            if len(data) > self.stream_max:
                conn.sendall(b"INSTREAM size limit exceeded. ERROR\0")
                return
        if self.hang:
            time.sleep(3)
            return
        if self.hang_up:
            return
        if self.reply is not None:
            conn.sendall(self.reply)
        elif EICAR in data:
            conn.sendall(b"stream: Eicar-Signature FOUND\0")
        else:
            conn.sendall(b"stream: OK\0")


def serve(server_class, address, fake: FakeClamd) -> socketserver.BaseServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            fake.handle(self.request)

    server = server_class(address, Handler)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


@pytest.fixture
def fake() -> FakeClamd:
    return FakeClamd()


@pytest.fixture
def unix_clamd(fake: FakeClamd, tmp_path_factory) -> Iterator[str]:
    # A short directory: AF_UNIX paths are limited to about 100 bytes.
    path = str(tmp_path_factory.mktemp("clamd") / "clamd.ctl")
    server = serve(socketserver.ThreadingUnixStreamServer, path, fake)
    clamav.hubgate_settings.apply({"socket": path, "timeout": 5})
    yield path
    clamav.hubgate_settings.apply({})
    server.shutdown()
    server.server_close()


@pytest.fixture
def tcp_clamd(fake: FakeClamd) -> Iterator[int]:
    server = serve(socketserver.ThreadingTCPServer, ("127.0.0.1", 0), fake)
    port = server.server_address[1]
    clamav.hubgate_settings.apply({"host": "127.0.0.1", "port": port, "timeout": 5})
    yield port
    clamav.hubgate_settings.apply({})
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _unconfigured_afterwards() -> Iterator[None]:
    yield
    clamav.hubgate_settings.apply({})


def file_with(tmp_path: Path, content: bytes, name: str = "model.bin") -> FileToScan:
    path = tmp_path / name
    path.write_bytes(content)
    return FileToScan(path=path, name=name, size=len(content))


def test_without_configuration_the_plugin_abstains(tmp_path: Path) -> None:
    clamav.hubgate_settings.apply({})
    assert hubgate_scan_file(file_with(tmp_path, EICAR)) is None


def test_clean_file_over_a_unix_socket_has_no_findings(unix_clamd, fake, tmp_path: Path) -> None:
    assert hubgate_scan_file(file_with(tmp_path, b"just weights" * 100)) == []
    assert fake.commands == [b"zINSTREAM\0"]


def test_infected_file_over_a_unix_socket_is_critical(unix_clamd, tmp_path: Path) -> None:
    findings = hubgate_scan_file(file_with(tmp_path, b"prefix " + EICAR + b" suffix"))
    assert [(f.code, f.severity) for f in findings] == [("clamav.infected", Severity.CRITICAL)]
    assert findings[0].detail["signature"] == "Eicar-Signature"
    assert findings[0].detail["daemon"] == f"unix:{unix_clamd}"


def test_infected_file_over_tcp_is_critical(tcp_clamd, tmp_path: Path) -> None:
    findings = hubgate_scan_file(file_with(tmp_path, EICAR))
    assert [(f.code, f.detail["signature"]) for f in findings] == [
        ("clamav.infected", "Eicar-Signature")
    ]


def test_large_file_is_streamed_in_chunks_of_one_mib(tcp_clamd, fake, tmp_path: Path) -> None:
    content = bytearray(3 * (1 << 20) + 123)
    at = (1 << 20) - 20  # the signature straddles the first chunk boundary
    content[at : at + len(EICAR)] = EICAR
    findings = hubgate_scan_file(file_with(tmp_path, bytes(content)))
    assert [f.code for f in findings] == ["clamav.infected"]
    assert fake.chunk_sizes == [1 << 20, 1 << 20, 1 << 20, 123]


def test_empty_file_is_scanned(unix_clamd, fake, tmp_path: Path) -> None:
    assert hubgate_scan_file(file_with(tmp_path, b"")) == []
    assert fake.chunk_sizes == []


def test_clamd_stream_limit_is_a_medium_finding(unix_clamd, fake, tmp_path: Path) -> None:
    fake.stream_max = 1 << 20
    findings = hubgate_scan_file(file_with(tmp_path, bytes(4 * (1 << 20))))
    assert [(f.code, f.severity) for f in findings] == [
        ("clamav.size_limit_exceeded", Severity.MEDIUM)
    ]
    assert "size limit exceeded" in findings[0].detail["reason"]


def test_file_above_max_stream_bytes_is_not_sent(unix_clamd, fake, tmp_path: Path) -> None:
    clamav.hubgate_settings.apply({"socket": unix_clamd, "max_stream_bytes": 1000})
    findings = hubgate_scan_file(file_with(tmp_path, bytes(1001)))
    assert [f.code for f in findings] == ["clamav.size_limit_exceeded"]
    assert fake.commands == []


def test_unreachable_unix_socket_raises(tmp_path: Path) -> None:
    clamav.hubgate_settings.apply({"socket": str(tmp_path / "nobody-home.ctl"), "timeout": 1})
    with pytest.raises(ClamdError, match="unreachable"):
        hubgate_scan_file(file_with(tmp_path, b"data"))


def test_unreachable_tcp_port_raises(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clamav.hubgate_settings.apply({"host": "127.0.0.1", "port": port, "timeout": 1})
    with pytest.raises(ClamdError, match="unreachable"):
        hubgate_scan_file(file_with(tmp_path, b"data"))


def test_daemon_error_raises(unix_clamd, fake, tmp_path: Path) -> None:
    fake.reply = b"stream: Can't allocate memory ERROR\0"
    with pytest.raises(ClamdError, match="allocate memory"):
        hubgate_scan_file(file_with(tmp_path, b"data"))


def test_daemon_that_hangs_up_without_a_verdict_raises(unix_clamd, fake, tmp_path: Path) -> None:
    fake.hang_up = True
    with pytest.raises(ClamdError, match="without a verdict"):
        hubgate_scan_file(file_with(tmp_path, b"data"))


def test_daemon_that_never_answers_times_out_and_raises(unix_clamd, fake, tmp_path: Path) -> None:
    fake.hang = True
    clamav.hubgate_settings.apply({"socket": unix_clamd, "timeout": 0.3})
    with pytest.raises(ClamdError, match="did not answer"):
        hubgate_scan_file(file_with(tmp_path, b"data"))


def test_a_failing_daemon_fails_the_scan_closed_through_hubgate(tmp_path: Path) -> None:
    config = {"clamav": {"socket": str(tmp_path / "gone.ctl"), "timeout": 1}}
    with override_settings(HUBGATE_PLUGINS=config):
        results = call_hook("hubgate_scan_file", file=file_with(tmp_path, b"data"))
    (result,) = [r for r in results if r.plugin == "clamav"]
    assert not result.ok
    assert result.error.startswith("ClamdError: clamd at unix:")


def test_configured_through_hubgate_settings_it_reports_infections(
    unix_clamd, tmp_path: Path
) -> None:
    with override_settings(HUBGATE_PLUGINS={"clamav": {"socket": unix_clamd}}):
        results = call_hook("hubgate_scan_file", file=file_with(tmp_path, EICAR))
    (result,) = [r for r in results if r.plugin == "clamav"]
    assert [f.code for f in result.value] == ["clamav.infected"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"socket": "/run/clamd.ctl", "host": "localhost"}, "not both"),
        ({"socket": ""}, "socket"),
        ({"host": "localhost", "port": 0}, "port"),
        ({"host": "localhost", "port": "3310"}, "port"),
        ({"port": 3310}, "port needs a host"),
        ({"socket": "/run/clamd.ctl", "timeout": 0}, "timeout"),
        ({"socket": "/run/clamd.ctl", "timeout": float("nan")}, "timeout"),
        ({"socket": "/run/clamd.ctl", "max_stream_bytes": -1}, "max_stream_bytes"),
        ({"sock": "/run/clamd.ctl"}, "not a setting"),
    ],
)
def test_invalid_configuration_is_rejected(config: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clamav.hubgate_settings.apply(config)
