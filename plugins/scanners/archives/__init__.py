"""Inspects zip, tar (plain, gzip, bzip2, xz) and 7z archives for what hurts whoever unpacks them.

Recognised by content: a zip by its local header (``PK\\x03\\x04``) or, with bytes prepended, by
an end-of-central-directory record that exactly ends the file and points at a valid central
directory; a tar by a header block whose checksum holds (in the file or in the first block a
gzip/bzip2/xz stream decompresses to); 7z by its signature.

Zip archives are judged from the central directory and local headers, without decompressing:
member count, declared sizes (per member, in total, compression ratio), overlapping members
(the non-recursive "better zip bomb", many entries sharing one compressed kernel), local and
central names that disagree (each tool sees a different archive), bytes prepended before the
archive (a polyglot: ``torch.load`` reads such a file as a pickle, a zip scanner as a clean
zip), encryption (contents cannot be scanned), unreadable compression methods, symlinks and
device files in Unix attributes, unsafe names and duplicates. Tar archives are walked with
``tarfile`` in its plain read mode over a bounded stream (the decompressor is ours, with the
same size and ratio limits), through a guard that refuses extended headers (pax, GNU long
names) above 1 MiB, pax records that are malformed or could make the 3.11 ``tarfile`` regexes
backtrack for minutes, and GNU sparse members; the archive must end with an end-of-archive
block, since ``tarfile`` silently stops at the first damaged header and would hide what
follows, and another archive after that block (which ``tar --ignore-zeros`` unpacks) is
reported too. Links are high; a link whose target is absolute or climbs out of the extraction
directory is critical, because a later member written through it lands anywhere on disk. 7z
is reported as uninspectable: there is no 7z reader here.

Members whose first bytes are an archive are scanned in turn, up to ``max_depth`` levels:
stored zip members and plain tar members in place, compressed ones streamed through a bounded
decompressor, and a compressed member that is itself a zip copied to a temporary file of at
most ``max_nested_bytes``. Member paths inside nested archives are written ``outer!/inner``.
Declared sizes and decompressed bytes count against the same limits at every level.

The bytes are read through the hostile-archive reader all scanners share
(:mod:`plugins.scanners._archive`); the walk over them is in :mod:`._walk`.
"""

from __future__ import annotations

import math

from governance.hookspecs import FileToScan, Finding, PluginSettings, hookimpl
from plugins.scanners._archive.formats import identify
from plugins.scanners._archive.streams import Abort, FileSource, GiB
from plugins.scanners.archives._walk import _Scan

NAME = "archives"

DEFAULTS: dict[str, int | float] = {
    "max_total_bytes": 64 * GiB,
    "max_member_bytes": 32 * GiB,
    "max_ratio": 200,
    "max_members": 100_000,
    "max_depth": 3,
    "max_nested_bytes": 1 * GiB,
}
MAX_DEPTH_LIMIT = 16


hubgate_settings = PluginSettings(
    defaults=DEFAULTS,
    types={**dict.fromkeys(DEFAULTS, int), "max_ratio": float},
    checks={
        **dict.fromkeys(DEFAULTS, (lambda value: value >= 1, "a positive integer")),
        "max_ratio": (lambda value: 1 < value < math.inf, "a finite number above 1"),
        "max_depth": (
            lambda value: 0 <= value <= MAX_DEPTH_LIMIT,
            f"an integer between 0 and {MAX_DEPTH_LIMIT}",
        ),
    },
)


# --- The hook -------------------------------------------------------------------------------


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    with file.open() as fh:
        source = FileSource(fh, fh.seek(0, 2))
        kind = identify(source)
        if kind is None:
            return None
        scan = _Scan(limits=dict(hubgate_settings.current))
        try:
            scan.archive(source, kind, None, 0)
        except Abort as stop:
            scan.stopped(stop, None)
    return scan.result()
