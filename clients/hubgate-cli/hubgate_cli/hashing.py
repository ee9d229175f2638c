"""Streaming SHA256 of local files: constant memory, one read pass, nothing uploaded."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

CHUNK_SIZE = 1024 * 1024


def sha256_of(path: Path) -> str:
    """The file's SHA256 as CivitAI and Hubgate write it: upper-case hex."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as stream:
        while True:
            n = stream.readinto(buffer)
            if not n:
                break
            digest.update(view[:n])
    return digest.hexdigest().upper()


def autov2(sha256: str) -> str:
    """CivitAI's AutoV2: the first 10 hex digits of the SHA256."""
    return sha256[:10]


def files_under(path: Path) -> Iterator[Path]:
    """``path`` itself, or every regular file under a directory (hidden ones skipped), sorted."""
    if not path.is_dir():
        yield path
        return
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                candidate = Path(root) / name
                if candidate.is_file():
                    yield candidate
