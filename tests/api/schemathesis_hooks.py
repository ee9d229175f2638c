"""Schemathesis hooks for the fuzz run (SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks)."""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def upload_chunk(ctx, value) -> bytes:
    """Resumable-upload chunks are raw bytes (PATCH /api/uploads/{id}/)."""
    return value if isinstance(value, bytes) else str(value).encode()
