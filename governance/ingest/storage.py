"""Where blobs live: the configured Django storage, addressed by SHA256.

Incoming bytes are spooled to a local file while they are hashed. On the default local-disk
storage the spool lives inside the storage directory and a finished blob is moved into place
with an atomic rename, so the bytes are written once. Other storages (S3-compatible) receive
the finished spool file through the storage API.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage


def blob_name(sha256: str) -> str:
    sha = sha256.lower()
    return f"blobs/sha256/{sha[:2]}/{sha[2:4]}/{sha}"


def _local_root() -> Path | None:
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def spool_dir() -> Path:
    """A local directory for files being received (inside the storage when it is local)."""
    root = _local_root()
    directory = root / ".incoming" if root is not None else Path(tempfile.gettempdir())
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def new_spool_file(prefix: str = "upload-") -> Path:
    fd, name = tempfile.mkstemp(prefix=prefix, dir=spool_dir())
    os.close(fd)
    return Path(name)


def store_spooled(spool: Path, sha256: str) -> str:
    """Move a fully received and verified spool file into the blob store; returns its name."""
    name = blob_name(sha256)
    root = _local_root()
    if root is not None:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(spool, target)
        return name
    if not default_storage.exists(name):
        with open(spool, "rb") as fh:
            saved = default_storage.save(name, File(fh))
        if saved != name:  # a storage that renamed instead of overwriting: keep one copy
            default_storage.delete(saved)
    spool.unlink(missing_ok=True)
    return name


@contextlib.contextmanager
def local_path(name: str) -> Iterator[Path]:
    """A local filesystem path with the blob's bytes, for scanners; a temp copy if remote."""
    root = _local_root()
    if root is not None:
        yield root / name
        return
    copy = new_spool_file(prefix="scan-")
    try:
        with default_storage.open(name, "rb") as src, open(copy, "wb") as dst:
            shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def open_blob(name: str):
    return default_storage.open(name, "rb")


def delete_blob(name: str) -> None:
    """Remove a blob's bytes (missing already is fine: a purge may be re-run)."""
    default_storage.delete(name)
