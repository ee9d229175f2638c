"""Streaming a stored blob to a client, with HTTP Range support.

Whether the blob may be served at all (its scan) and to whom is the download service's
question (``governance.usage.downloads``), asked before this is called."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

from .hashing import CHUNK_SIZE
from .models import Blob
from .storage import open_blob

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _iter_range(fh, start: int, length: int):
    fh.seek(start)
    remaining = length
    try:
        while remaining > 0:
            chunk = fh.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fh.close()


def blob_response(request: HttpRequest, blob: Blob, *, filename: str) -> HttpResponse:
    """A download of ``blob`` as ``filename``; honours a single ``Range: bytes=a-b``."""
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start = int(first)
            end = min(int(last), blob.size - 1) if last else blob.size - 1
        else:  # suffix range: the last N bytes
            start, end = max(blob.size - int(last), 0), blob.size - 1
        if start >= blob.size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{blob.size}"
            return response
        length = end - start + 1
        response = StreamingHttpResponse(
            _iter_range(open_blob(blob.storage_name), start, length),
            status=206,
            content_type="application/octet-stream",
        )
        response["Content-Range"] = f"bytes {start}-{end}/{blob.size}"
        response["Content-Length"] = str(length)
    else:
        response = FileResponse(open_blob(blob.storage_name), as_attachment=True, filename=filename)
        response["Content-Length"] = str(blob.size)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'attachment; filename="{_safe(filename)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{blob.sha256.lower()}"'
    return response


def _safe(filename: str) -> str:
    return "".join(c for c in filename if c.isprintable() and c not in '"\\/') or "download"
