"""The archive scanner, on zips, tars and 7z files each test builds (and breaks) itself."""

import bz2
import gzip
import io
import lzma
import os
import stat
import struct
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance.hookspecs import FileToScan, Severity
from plugins.scanners import archives
from plugins.scanners.archives import hubgate_scan_file

MiB = 1 << 20


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    archives.hubgate_settings.apply({})
    yield
    archives.hubgate_settings.apply({})


def write(tmp_path: Path, content: bytes, name: str = "upload.bin") -> FileToScan:
    path = tmp_path / name
    path.write_bytes(content)
    return FileToScan(path=path, name=name, size=len(content))


def scan(file: FileToScan) -> list[tuple[str, Severity, str | None]] | None:
    findings = hubgate_scan_file(file)
    if findings is None:
        return None
    return sorted(((f.code, f.severity, f.member) for f in findings), key=str)


def codes(file: FileToScan) -> list[str] | None:
    found = scan(file)
    return None if found is None else [code for code, _, _ in found]


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(
    members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w", **options
) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode, **options) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def pytorch_checkpoint() -> bytes:
    """A zip laid out as torch.save writes it: stored members under archive/, 64-byte aligned."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        members = {
            "archive/data.pkl": b"\x80\x02}q\x00X\x06\x00\x00\x00weightq\x01ctorch._utils\n.",
            "archive/byteorder": b"little",
            "archive/data/0": os.urandom(4096),
            "archive/data/1": bytes(1024),
            "archive/version": b"3\n",
            "archive/.data/serialization_id": b"1234567890",
        }
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            offset = buffer.tell() + 30 + len(name) + 4
            info.extra = struct.pack("<HH", 0x4246, -offset % 64) + bytes(-offset % 64)
            archive.writestr(info, data)
    return buffer.getvalue()


# --- recognising archives -------------------------------------------------------------------


def test_pytorch_checkpoint_zip_has_no_findings(tmp_path: Path) -> None:
    assert scan(write(tmp_path, pytorch_checkpoint(), "model.pt")) == []


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_ordinary_tar_has_no_findings(tmp_path: Path, mode: str) -> None:
    members = [("model/config.json", b"{}"), ("model/weights.bin", os.urandom(5000))]
    assert scan(write(tmp_path, tar_bytes(members, mode))) == []


def test_ordinary_zip_has_no_findings(tmp_path: Path) -> None:
    content = zip_bytes({"dir/": b"", "dir/a.txt": b"hello " * 500, "b.json": b"{}"})
    assert scan(write(tmp_path, content)) == []


def test_zip64_archive_is_read(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        with archive.open("big.bin", "w", force_zip64=True) as member:
            member.write(b"data" * 100)
        archive.writestr("../escape", b"x")
    assert codes(write(tmp_path, with_zip64_end(buffer.getvalue()))) == ["archive.path_traversal"]


def with_zip64_end(content: bytes) -> bytes:
    """Rewrite a zip's end record in its zip64 form, as writers do for huge archives."""
    end = content.rfind(b"PK\x05\x06")
    _, _, _, count, size, offset, _ = struct.unpack("<HHHHIIH", content[end + 4 : end + 22])
    record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, end, 1)
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return content[:end] + record + locator + eocd


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"PK",
        os.urandom(70_000),
        b"\x80\x02}q\x00.",
        struct.pack("<Q", 2) + b"{}",
        b"GGUF" + bytes(20),
        gzip.compress(b"just a compressed text file, not a tar"),
        bz2.compress(b"not a tar either"),
        lzma.compress(b"nor this"),
        bytes(2048),
    ],
    ids=[
        "empty",
        "pk",
        "random",
        "pickle",
        "safetensors",
        "gguf",
        "gzip_text",
        "bzip2_text",
        "xz_text",
        "zeros",
    ],
)
def test_files_that_are_not_archives_are_not_its_business(tmp_path: Path, content: bytes) -> None:
    assert scan(write(tmp_path, content)) is None


def test_archives_are_recognised_by_content_not_name(tmp_path: Path) -> None:
    content = zip_bytes({"../x": b"1"})
    assert codes(write(tmp_path, content, "weights.safetensors")) == ["archive.path_traversal"]


def test_seven_zip_is_high_because_its_contents_are_unknown(tmp_path: Path) -> None:
    content = b"7z\xbc\xaf\x27\x1c\x00\x04" + os.urandom(200)
    assert scan(write(tmp_path, content)) == [("archive.seven_zip", Severity.HIGH, None)]


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../evil.sh", ["archive.path_traversal"]),
        ("models/../../evil.sh", ["archive.path_traversal"]),
        ("/etc/cron.d/evil", ["archive.absolute_path"]),
        ("C:/Windows/evil.dll", ["archive.absolute_path"]),
        ("..\\..\\evil.dll", ["archive.backslash_in_path", "archive.path_traversal"]),
        ("\\\\server\\share\\x", ["archive.absolute_path", "archive.backslash_in_path"]),
    ],
)
def test_unsafe_member_names_are_high_in_zip_and_tar(
    tmp_path: Path, name: str, expected: list[str]
) -> None:
    for content in (zip_bytes({name: b"x"}), tar_bytes([(name, b"x")])):
        found = scan(write(tmp_path, content))
        assert [code for code, _, _ in found] == expected
        assert {(severity, member) for _, severity, member in found} == {(Severity.HIGH, name)}


def test_nul_byte_in_a_name_is_high(tmp_path: Path) -> None:
    content = zip_bytes({"model.binXpayload.sh": b"x"}).replace(b"model.binX", b"model.bin\0")
    found = scan(write(tmp_path, content))
    assert found == [("archive.nul_in_path", Severity.HIGH, "model.bin\\x00payload.sh")]


def test_duplicate_names_are_medium(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("config.json", b"{}")
        archive.writestr("config.json", b'{"evil": 1}')
    tar = tar_bytes([("a", b"1"), ("a", b"2")])
    for content, member in ((buffer.getvalue(), "config.json"), (tar, "a")):
        assert scan(write(tmp_path, content)) == [
            ("archive.duplicate_name", Severity.MEDIUM, member)
        ]


# --- links and special files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "code", "severity"),
    [
        (link("docs/readme", "../README.md"), "archive.link", Severity.HIGH),
        (link("weights", "/etc/passwd"), "archive.link_escapes", Severity.CRITICAL),
        (link("a/b/c", "../../../.ssh"), "archive.link_escapes", Severity.CRITICAL),
        (link("hard", "model.bin", tarfile.LNKTYPE), "archive.link", Severity.HIGH),
        (link("hard", "../outside", tarfile.LNKTYPE), "archive.link_escapes", Severity.CRITICAL),
    ],
)
def test_tar_links_are_high_and_escaping_links_critical(
    tmp_path: Path, member: tarfile.TarInfo, code: str, severity: Severity
) -> None:
    content = tar_bytes([("model.bin", b"w"), member])
    findings = hubgate_scan_file(write(tmp_path, content))
    assert [(f.code, f.severity, f.member) for f in findings] == [(code, severity, member.name)]
    assert findings[0].detail["target"] == member.linkname


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_files_and_fifos_in_tar_are_high(tmp_path: Path, kind: bytes) -> None:
    device = tarfile.TarInfo("dev/thing")
    device.type = kind
    assert scan(write(tmp_path, tar_bytes([device]))) == [
        ("archive.special_file", Severity.HIGH, "dev/thing")
    ]


def unix_zip(name: str, mode: int, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        archive.writestr(info, data)
    return buffer.getvalue()


def test_zip_symlinks_are_judged_by_their_target(tmp_path: Path) -> None:
    escaping = unix_zip("link", stat.S_IFLNK | 0o777, b"../../../etc/passwd")
    inside = unix_zip("sub/link", stat.S_IFLNK | 0o777, b"../model.bin")
    assert codes(write(tmp_path, escaping)) == ["archive.link_escapes"]
    assert codes(write(tmp_path, inside)) == ["archive.link"]


def test_zip_device_entry_is_high(tmp_path: Path) -> None:
    content = unix_zip("tty", stat.S_IFCHR | 0o666, b"")
    assert codes(write(tmp_path, content)) == ["archive.special_file"]


# --- bombs and limits ----------------------------------------------------------------------


def test_extreme_compression_ratio_is_high_without_decompressing(tmp_path: Path) -> None:
    content = zip_bytes({"zeros.bin": bytes(8 * MiB), "small.txt": bytes(10_000)})
    findings = hubgate_scan_file(write(tmp_path, content))
    assert [(f.code, f.severity, f.member) for f in findings] == [
        ("archive.compression_ratio", Severity.HIGH, "zeros.bin")
    ]
    assert findings[0].detail["uncompressed_size"] == 8 * MiB


def test_declared_sizes_above_the_limits_are_high(tmp_path: Path) -> None:
    archives.hubgate_settings.apply({"max_member_bytes": 1000, "max_total_bytes": 2500})
    content = zip_bytes({"a": os.urandom(2000), "b": os.urandom(200), "c": os.urandom(600)})
    found = scan(write(tmp_path, content))
    assert found == [
        ("archive.member_too_large", Severity.HIGH, "a"),
        ("archive.total_size_exceeded", Severity.HIGH, None),
    ]


def test_lying_central_directory_sizes_are_judged_as_declared(tmp_path: Path) -> None:
    content = bytearray(zip_bytes({"a.bin": b"tiny"}, zipfile.ZIP_DEFLATED))
    central = content.find(b"PK\x01\x02")
    content[central + 24 : central + 28] = struct.pack("<I", 0xFFFFFFF0)  # 4 GiB unpacked
    found = codes(write(tmp_path, bytes(content)))
    assert found == ["archive.compression_ratio"]


def test_overlapping_members_are_the_non_recursive_zip_bomb(tmp_path: Path) -> None:
    content = bytearray(zip_bytes({"a": b"A" * 100, "b": b"B" * 100}, zipfile.ZIP_STORED))
    central = content.find(b"PK\x01\x02")
    grown = 100 + 30 + 1 + 100  # a's data now runs over b's header and data
    content[central + 20 : central + 28] = struct.pack("<II", grown, grown)
    found = scan(write(tmp_path, bytes(content)))
    assert found == [("archive.overlapping_members", Severity.HIGH, None)]


def test_too_many_members_is_high(tmp_path: Path) -> None:
    archives.hubgate_settings.apply({"max_members": 10})
    many = {f"f{i}": b"x" for i in range(11)}
    assert codes(write(tmp_path, zip_bytes(many))) == ["archive.too_many_members"]
    assert codes(write(tmp_path, tar_bytes(list(many.items())))) == ["archive.too_many_members"]


def test_a_hundred_thousand_members_is_the_default_limit(tmp_path: Path) -> None:
    content = bytearray(zip_bytes({"a": b"x"}))
    end = content.rfind(b"PK\x05\x06")
    content[end + 8 : end + 12] = struct.pack("<HH", 0xFFFF, 0xFFFF)
    content = with_zip64_end(bytes(content)).replace(
        struct.pack("<QQ", 0xFFFF, 0xFFFF), struct.pack("<QQ", 100_001, 100_001)
    )
    assert codes(write(tmp_path, content)) == ["archive.too_many_members"]


def test_gzip_tar_bomb_is_stopped_by_the_ratio_while_streaming(tmp_path: Path) -> None:
    content = tar_bytes([("zeros.bin", bytes(20 * MiB))], "w:gz")
    started = time.monotonic()
    assert codes(write(tmp_path, content)) == ["archive.compression_ratio"]
    assert time.monotonic() - started < 5


def test_streamed_tar_stops_at_a_member_too_large_to_skip(tmp_path: Path) -> None:
    archives.hubgate_settings.apply({"max_member_bytes": 1000})
    content = tar_bytes([("big", os.urandom(5000)), ("../after", b"x")], "w:xz")
    assert codes(write(tmp_path, content)) == ["archive.member_too_large"]


# --- nesting -------------------------------------------------------------------------------


def test_nested_archives_are_scanned_with_their_path(tmp_path: Path) -> None:
    inner_zip = zip_bytes({"../x": b"1"})
    inner_tgz = tar_bytes([("/abs", b"1")], "w:gz")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deflated.zip", inner_zip, zipfile.ZIP_DEFLATED)
        archive.writestr("stored.zip", inner_zip, zipfile.ZIP_STORED)
        archive.writestr("data.tar.gz", inner_tgz, zipfile.ZIP_DEFLATED)
        archive.writestr("data.tar.bz2", tar_bytes([("a\\b", b"1")], "w:bz2"), zipfile.ZIP_BZIP2)
        archive.writestr("lz.zip", inner_zip, zipfile.ZIP_LZMA)
    outer_tar = tar_bytes(
        [("bundle.zip", buffer.getvalue()), ("plain.tar", tar_bytes([("../t", b"")]))]
    )
    found = scan(write(tmp_path, tar_bytes([("outer.tar", outer_tar)], "w:xz")))
    assert found == [
        ("archive.absolute_path", Severity.HIGH, "outer.tar!/bundle.zip!/data.tar.gz!//abs"),
        ("archive.backslash_in_path", Severity.HIGH, "outer.tar!/bundle.zip!/data.tar.bz2!/a\\b"),
        ("archive.path_traversal", Severity.HIGH, "outer.tar!/bundle.zip!/deflated.zip!/../x"),
        ("archive.path_traversal", Severity.HIGH, "outer.tar!/bundle.zip!/lz.zip!/../x"),
        ("archive.path_traversal", Severity.HIGH, "outer.tar!/bundle.zip!/stored.zip!/../x"),
        ("archive.path_traversal", Severity.HIGH, "outer.tar!/plain.tar!/../t"),
    ]


def test_archives_nested_beyond_the_depth_limit_are_high(tmp_path: Path) -> None:
    content = zip_bytes({"../deepest": b"x"})
    for level in range(5):
        content = zip_bytes({f"level{level}.zip": content})
    found = scan(write(tmp_path, content))
    assert found == [
        (
            "archive.nesting_too_deep",
            Severity.HIGH,
            "level4.zip!/level3.zip!/level2.zip!/level1.zip",
        )
    ]


def test_compressed_nested_zip_above_the_spool_limit_is_high(tmp_path: Path) -> None:
    archives.hubgate_settings.apply({"max_nested_bytes": 1000})
    inner = zip_bytes({"a.bin": os.urandom(3000)}, zipfile.ZIP_STORED)
    found = scan(write(tmp_path, zip_bytes({"inner.zip": inner})))
    assert found == [("archive.nested_too_large", Severity.HIGH, "inner.zip")]


def test_nested_bomb_is_caught_while_decompressing_it(tmp_path: Path) -> None:
    bomb = tar_bytes([("zeros", bytes(12 * MiB))], "w:gz")
    found = scan(write(tmp_path, zip_bytes({"bomb.tar.gz": bomb}, zipfile.ZIP_STORED)))
    assert found == [("archive.compression_ratio", Severity.HIGH, "bomb.tar.gz")]


def test_nested_seven_zip_is_high(tmp_path: Path) -> None:
    content = zip_bytes({"weights.7z": b"7z\xbc\xaf\x27\x1c" + os.urandom(64)})
    assert scan(write(tmp_path, content)) == [("archive.seven_zip", Severity.HIGH, "weights.7z")]


# --- zip structure -------------------------------------------------------------------------


def test_bytes_prepended_to_a_zip_make_a_polyglot(tmp_path: Path) -> None:
    pickle = b"\x80\x02cos\nsystem\n(S'id'\ntR."
    findings = hubgate_scan_file(write(tmp_path, pickle + pytorch_checkpoint(), "model.pt"))
    assert [(f.code, f.severity) for f in findings] == [("archive.prepended_data", Severity.HIGH)]
    assert findings[0].detail["prepended_bytes"] == len(pickle)


def test_bytes_after_a_zip_are_medium(tmp_path: Path) -> None:
    content = zip_bytes({"a": b"1"}) + b"hidden payload"
    assert scan(write(tmp_path, content)) == [("archive.trailing_data", Severity.MEDIUM, None)]


def test_local_and_central_names_that_disagree_are_high(tmp_path: Path) -> None:
    content = bytearray(zip_bytes({"model.bin": b"1"}))
    local = content.find(b"model.bin")
    content[local : local + 9] = b"evil.exe!"
    assert codes(write(tmp_path, bytes(content))) == ["archive.header_mismatch"]


def test_encrypted_members_are_high(tmp_path: Path) -> None:
    content = bytearray(zip_bytes({"secret.bin": b"x" * 100}))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = content.find(signature)
        content[at + flag_at] |= 1
    assert scan(write(tmp_path, bytes(content))) == [
        ("archive.encrypted_member", Severity.HIGH, "secret.bin")
    ]


def test_unknown_compression_method_is_medium(tmp_path: Path) -> None:
    content = bytearray(zip_bytes({"a.bin": b"x" * 100}))
    for signature, method_at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = content.find(signature)
        content[at + method_at : at + method_at + 2] = struct.pack("<H", 93)  # zstd
    assert codes(write(tmp_path, bytes(content))) == ["archive.unsupported_compression"]


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_zip_is_malformed(tmp_path: Path, keep: float) -> None:
    content = zip_bytes({"a.txt": b"hello" * 100, "b.txt": b"world" * 100})
    assert scan(write(tmp_path, content[: int(len(content) * keep)])) == [
        ("archive.malformed", Severity.HIGH, None)
    ]


@pytest.mark.parametrize("field_at", [12, 16], ids=["directory_size", "directory_offset"])
def test_end_record_pointing_outside_the_file_is_malformed(tmp_path: Path, field_at: int) -> None:
    content = bytearray(zip_bytes({"a": b"1"}))
    end = content.rfind(b"PK\x05\x06")
    content[end + field_at : end + field_at + 4] = struct.pack("<I", 0xFFFFFF00)
    assert codes(write(tmp_path, bytes(content))) == ["archive.malformed"]


def test_member_count_that_disagrees_with_the_directory_is_malformed(tmp_path: Path) -> None:
    content = bytearray(zip_bytes({"a": b"1", "b": b"2"}))
    end = content.rfind(b"PK\x05\x06")
    content[end + 8 : end + 12] = struct.pack("<HH", 1, 1)
    assert codes(write(tmp_path, bytes(content))) == ["archive.malformed"]


def test_random_bytes_after_a_zip_header_never_raise(tmp_path: Path) -> None:
    for i in range(100):
        content = b"PK\x03\x04" + os.urandom(i * 37 % 3000) + b"PK\x05\x06" + os.urandom(18)
        assert codes(write(tmp_path, content, f"r{i}.zip"))


# --- tar structure -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_truncated_tar_is_malformed(tmp_path: Path, mode: str) -> None:
    # bzip2 decodes nothing before a whole block (100 kB at level 1): make it several blocks.
    size = 150_000 if mode == "w:bz2" else 3000
    options = {"compresslevel": 1} if mode == "w:bz2" else {}
    members = [("a.bin", os.urandom(size)), ("b.bin", os.urandom(size))]
    content = tar_bytes(members, mode, **options)
    cut = 1600 if mode == "w" else len(content) // 2
    assert scan(write(tmp_path, content[:cut])) == [("archive.malformed", Severity.HIGH, None)]


def test_tar_that_hides_members_after_a_damaged_header_is_malformed(tmp_path: Path) -> None:
    first = tar_bytes([("a.txt", b"a")])[:1024]
    hidden = tar_bytes([("../hidden", b"b")])
    content = first + b"garbage!" * 64 + hidden
    assert codes(write(tmp_path, content)) == ["archive.malformed"]


def test_tar_concatenated_after_the_end_block_hides_members(tmp_path: Path) -> None:
    for mode in ("w", "w:gz"):
        plain = tar_bytes([("a.txt", b"a")])
        content = plain + tar_bytes([("../hidden", b"b")])
        if mode == "w:gz":
            content = gzip.compress(content)
        assert scan(write(tmp_path, content)) == [("archive.hidden_members", Severity.HIGH, None)]


def test_bytes_after_the_tar_end_block_are_medium(tmp_path: Path) -> None:
    content = tar_bytes([("a.txt", b"a")]) + b"payload"
    assert scan(write(tmp_path, content)) == [("archive.trailing_data", Severity.MEDIUM, None)]


def test_huge_extended_header_is_refused_without_reading_it(tmp_path: Path) -> None:
    for kind in (tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME):
        header = tarfile.TarInfo("././@LongLink")
        header.type = kind
        header.size = 2**33
        content = header.tobuf(tarfile.GNU_FORMAT) + bytes(4096)
        assert codes(write(tmp_path, content)) == ["archive.malformed"]


def test_pax_header_built_to_stall_tarfile_is_refused_quickly(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("x")
        info.pax_headers = {"comment": "1" * 200_000}
        archive.addfile(info)
    started = time.monotonic()
    assert codes(write(tmp_path, buffer.getvalue())) == ["archive.malformed"]
    assert time.monotonic() - started < 2


def test_malformed_pax_record_is_refused(tmp_path: Path) -> None:
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    body = b"2 2 2 2 2 2 2 2 2 2 2 a=b\n"
    header.size = len(body)
    content = header.tobuf() + body + bytes(-len(body) % 512) + tar_bytes([("f", b"x")])
    assert codes(write(tmp_path, content)) == ["archive.malformed"]


def test_ordinary_pax_headers_are_accepted(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("long/" + "n" * 300)
        info.pax_headers = {"comment": "exported by hub", "mtime": "1700000000.123456789"}
        info.size = 3
        archive.addfile(info, io.BytesIO(b"abc"))
    assert scan(write(tmp_path, buffer.getvalue())) == []


def test_gnu_sparse_members_are_not_inspected(tmp_path: Path) -> None:
    header = tarfile.TarInfo("sparse.bin")
    header.type = tarfile.GNUTYPE_SPARSE
    content = header.tobuf(tarfile.GNU_FORMAT) + bytes(2048)
    assert codes(write(tmp_path, content)) == ["archive.unsupported_member"]


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"max_total_bytes": 0},
        {"max_member_bytes": -5},
        {"max_members": "many"},
        {"max_ratio": 1},
        {"max_ratio": float("inf")},
        {"max_depth": -1},
        {"max_nested_bytes": True},
        {"max_size": 10},
    ],
)
def test_invalid_configuration_is_rejected(bad: dict) -> None:
    with pytest.raises(ValueError):
        archives.hubgate_settings.apply(bad)


def test_configured_ratio_applies(tmp_path: Path) -> None:
    content = zip_bytes({"text.txt": b"abcd" * (MiB // 2)})
    assert codes(write(tmp_path, content)) == ["archive.compression_ratio"]
    archives.hubgate_settings.apply({"max_ratio": 5000})
    assert codes(write(tmp_path, content)) == []


def test_many_findings_of_one_kind_are_capped(tmp_path: Path) -> None:
    content = zip_bytes({f"../f{i}": b"x" for i in range(50)})
    findings = hubgate_scan_file(write(tmp_path, content))
    assert [f.code for f in findings].count("archive.path_traversal") == 20
    assert findings[-1].code == "archive.more_findings"
    assert findings[-1].detail == {"code": "archive.path_traversal", "not_listed": 30}
