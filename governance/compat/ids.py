"""Which id the CivitAI-compatible API shows for a record, and back.

Decision: hub ids for hub records, Hubgate ids above 2**31 for the rest
--------------------------------------------------------------------------
CivitAI tools remember models, versions and files by CivitAI's ids (and hashes): a helper
that saved ``modelVersionId: 130072`` next to a LoRA asks for ``/model-versions/130072``. So a
record imported from CivitAI is served under its CivitAI id, and a tool pointed at Hubgate
finds what it knew.

Records with no CivitAI id (uploads, other hubs) are served as ``LOCAL_ID_BASE + pk``.
CivitAI's ids are PostgreSQL ``int4`` columns, so they never reach 2**31: the two ranges can
never collide, and an id tells which kind it is. The cost: a client that keeps ids in signed
32-bit integers cannot hold a local id (JavaScript, Python and 64-bit clients can).
"""

from __future__ import annotations

from typing import Any

from governance.catalog.models import Hub

LOCAL_ID_BASE = 2**31
#: The largest id accepted in a URL (JavaScript's safe integers).
MAX_ID = 2**53


def served_id(obj: Any) -> int:
    """The id the compatible API shows for a model, version, file or image."""
    if obj.hub == Hub.CIVITAI and obj.external_id:
        return int(obj.external_id)
    return LOCAL_ID_BASE + obj.pk


def lookup(served: int) -> dict[str, Any]:
    """Queryset filter kwargs that find the record shown under ``served``."""
    if served >= LOCAL_ID_BASE:
        return {"pk": served - LOCAL_ID_BASE}
    return {"hub": Hub.CIVITAI, "external_id": str(served)}


def split(served_ids: list[int]) -> tuple[list[str], list[int]]:
    """CivitAI external ids and Hubgate pks among ``served_ids``."""
    hub = [str(i) for i in served_ids if i < LOCAL_ID_BASE]
    local = [i - LOCAL_ID_BASE for i in served_ids if i >= LOCAL_ID_BASE]
    return hub, local
