"""Anchors: copies of the audit head kept outside Hubgate, in a place that only grows.

Someone who can write to the database can delete the newest entries and put back a head
copied earlier, MAC and all; only a copy of the head kept out of their reach shows that the
log once went further. ``HUBGATE_AUDIT_ANCHOR`` says where the copies go:

- ``file:///var/lib/hubgate/audit-anchors.jsonl``: one JSON object a line, appended with
  ``O_APPEND`` (make the file append-only for the Hubgate user too: ``chattr +a``, or a log
  shipper that copies it off the machine);
- ``s3://bucket/prefix``: one object per anchor, written with S3 Object Lock
  (``HUBGATE_AUDIT_ANCHOR_LOCK_MODE``, retained ``HUBGATE_AUDIT_ANCHOR_RETAIN_DAYS``), so not
  even the key that wrote it can delete or overwrite it before then. The bucket must have
  Object Lock enabled.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import iso_utc


@dataclass(frozen=True)
class Anchor:
    """The head as it was at ``anchored_at``: the newest entry's id and hash, and the count."""

    entry_id: int
    hash: str
    count: int
    anchored_at: datetime

    def as_json(self) -> str:
        return json.dumps(
            {
                "entry_id": self.entry_id,
                "hash": self.hash,
                "count": self.count,
                "anchored_at": iso_utc(self.anchored_at),
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Parse one anchor; ValueError if it is not one."""
        try:
            data = json.loads(text)
            return cls(
                entry_id=int(data["entry_id"]),
                hash=str(data["hash"]),
                count=int(data["count"]),
                anchored_at=datetime.fromisoformat(data["anchored_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an audit anchor: {text[:200]!r}") from exc


class AnchorStore(Protocol):
    """Where anchors go: ``append`` one, ``read`` every one written (in any order)."""

    def append(self, anchor: Anchor) -> None: ...

    def read(self) -> Iterator[Anchor]: ...


class FileAnchorStore:
    """Anchors as JSON lines in a local file, only ever opened for appending."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __str__(self) -> str:
        return f"file://{self.path}"

    def append(self, anchor: Anchor) -> None:
        line = (anchor.as_json() + "\n").encode()
        # O_APPEND: every write goes to the end, whatever else has the file open; one write
        # of one short line, so concurrent anchors never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> Iterator[Anchor]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    try:
                        yield Anchor.from_json(line)
                    except ValueError as exc:
                        raise ValueError(f"{self.path}:{number}: {exc}") from exc


class S3AnchorStore:
    """Anchors as S3 objects under ``prefix``, each locked against deletion for a while."""

    def __init__(self, bucket: str, prefix: str, client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # only sites that anchor to S3 need it loaded

            self._client = boto3.client(
                "s3",
                endpoint_url=settings.HUBGATE_AUDIT_ANCHOR_ENDPOINT_URL or None,
                region_name=settings.HUBGATE_AUDIT_ANCHOR_REGION or None,
            )
        return self._client

    def key_for(self, anchor: Anchor) -> str:
        # Sortable by time, unique per anchor: an object lock refuses an overwrite anyway.
        stamp = anchor.anchored_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-entry-{anchor.entry_id}.json"
        return f"{self.prefix}/{name}" if self.prefix else name

    def put_request(self, anchor: Anchor) -> dict[str, Any]:
        """The ``put_object`` arguments for ``anchor``."""
        retain = timedelta(days=settings.HUBGATE_AUDIT_ANCHOR_RETAIN_DAYS)
        return {
            "Bucket": self.bucket,
            "Key": self.key_for(anchor),
            "Body": (anchor.as_json() + "\n").encode(),
            "ContentType": "application/json",
            "ObjectLockMode": settings.HUBGATE_AUDIT_ANCHOR_LOCK_MODE,
            "ObjectLockRetainUntilDate": anchor.anchored_at.astimezone(UTC) + retain,
            # Object Lock requires an integrity checksum on the upload.
            "ChecksumAlgorithm": "SHA256",
        }

    def append(self, anchor: Anchor) -> None:
        self.client.put_object(**self.put_request(anchor))

    def read(self) -> Iterator[Anchor]:
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = f"{self.prefix}/" if self.prefix else ""
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = self.client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"]
                text = body.read().decode()
                try:
                    yield Anchor.from_json(text)
                except ValueError as exc:
                    raise ValueError(f"s3://{self.bucket}/{item['Key']}: {exc}") from exc


def anchor_store(destination: str | None = None) -> AnchorStore:
    """The store ``destination`` (default ``settings.HUBGATE_AUDIT_ANCHOR``) names."""
    url = settings.HUBGATE_AUDIT_ANCHOR if destination is None else destination
    if not url:
        raise ImproperlyConfigured(
            "HUBGATE_AUDIT_ANCHOR is not set: name a file:///path or an s3://bucket/prefix."
        )
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path:
        return FileAnchorStore(Path(unquote(parts.path)))
    if parts.scheme == "s3" and parts.netloc:
        return S3AnchorStore(parts.netloc, unquote(parts.path))
    raise ImproperlyConfigured(
        f"HUBGATE_AUDIT_ANCHOR {url!r} is neither file:///path nor s3://bucket/prefix."
    )
