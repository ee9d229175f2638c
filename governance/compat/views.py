"""The CivitAI-compatible API: CivitAI's paths, query parameters, JSON and errors.

Errors are CivitAI's, not Hubgate's problem+json: ``{"error": "…"}`` with CivitAI's statuses
(400 bad parameters, 401 no or bad key, 404 unknown or invisible, 403/410 a version the
caller's teams may not use or that is retired, 429 with ``Retry-After`` over the rate limit).
Callers authenticate as on CivitAI — an ``Authorization: Bearer`` header or ``?token=`` —
with Hubgate API keys (scope ``read``), or with a signed-in session. Plain Django views: they
are not part of Hubgate's own OpenAPI document (CivitAI documents this API).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from governance.accounts.models import ApiKey
from governance.accounts.services import check_api_key
from governance.api.authentication import ApiKeyRateThrottle
from governance.catalog.models import CommercialUse, ModelFile, ModelType, ModelVersion
from governance.catalog.selectors import visible_versions
from governance.errors import HubgateError
from governance.usage.downloads import authorize_download, serve_download
from governance.usage.models import UsageEvent
from governance.usage.services import record_usage

from . import documents, ids, selectors
from .selectors import Caller

CLIENT = "civitai-api"
#: At most this many ``ids`` in one listing (a longer list is a 400, not a huge query).
MAX_IDS = 500


class CompatError(Exception):
    """An answer in CivitAI's error shape."""

    def __init__(self, status: int, error: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(error))
        self.status = status
        self.error = error
        self.headers = headers or {}


class CivitaiRateThrottle(ApiKeyRateThrottle):
    """The compatible API's own budget (``HUBGATE_COMPAT_RATE``), counted like the REST API's:
    per API key, per signed-in user, else per client address."""

    scope = "civitai"


def _json(body: Any, status: int = 200) -> HttpResponse:
    # orjson: UTF-8 bytes directly; a 100-model page is ~9 ms with json, ~0.5 ms with it.
    data = orjson.dumps(body)
    response = HttpResponse(data, status=status, content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


def _invalid(param: str, message: str) -> CompatError:
    """A 400 for a list endpoint, shaped like CivitAI's Zod validation error."""
    issue = {"code": "custom", "path": [param], "message": message}
    return CompatError(400, {"issues": [issue], "name": "ZodError", "message": message})


def endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only; CompatError and domain errors become ``{"error": …}`` answers."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = _json({"error": "Method not allowed"}, 405)
            response["Allow"] = "GET, HEAD"
            return response
        try:
            for name, values in request.GET.lists():
                if any("\x00" in value for value in [name, *values]):
                    raise _invalid(name, f"{name[:40]!r} contains a NUL character")
            return view(request, *args, **kwargs)
        except CompatError as exc:
            response = _json({"error": exc.error}, exc.status)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="hubgate"'
            for header, value in exc.headers.items():
                response[header] = value
            return response
        except HubgateError as exc:
            return _json({"error": exc.detail}, exc.status)

    return wrapped


# --- callers ---------------------------------------------------------------------------------


def _key_from(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return raw.strip()
    token = request.GET.get("token", "").strip()
    return token or None


def caller_of(request: HttpRequest, *, require_user: bool = False) -> Caller:
    """Who is asking: an API key's user, a signed-in session, or (if allowed) anyone."""
    raw = _key_from(request)
    company_catalog = settings.HUBGATE_COMPAT_ANONYMOUS_READ
    request.auth = None
    if raw is not None:
        key = check_api_key(raw)
        if key is None:
            raise CompatError(401, "Unauthorized: invalid, expired or revoked API key")
        if not {ApiKey.Scope.READ, ApiKey.Scope.ADMIN} & set(key.scopes):
            raise CompatError(403, "This API key lacks the read scope")
        request.auth = key
        _throttle(request)
        return Caller(key.user, company_catalog)
    user = getattr(request, "user", None)
    if user is None:
        request.user = user = AnonymousUser()
    _throttle(request)
    if user.is_authenticated:
        return Caller(user, company_catalog)
    if require_user or not company_catalog:
        raise CompatError(401, "Unauthorized")
    return Caller(AnonymousUser(), company_catalog)


def _throttle(request: HttpRequest) -> None:
    """429 with ``Retry-After`` once the caller has spent its budget (see the throttle)."""
    throttle = CivitaiRateThrottle()
    if throttle.allow_request(request, None):
        return
    wait = max(math.ceil(throttle.wait() or 1), 1)
    raise CompatError(
        429, f"Too many requests; retry in {wait} seconds", headers={"Retry-After": str(wait)}
    )


# --- parameters ------------------------------------------------------------------------------


def _int(request: HttpRequest, name: str, default: int | None, *, low: int, high: int):
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    if not _digits(raw) or not low <= int(raw) <= high:
        raise _invalid(name, f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _digits(raw: str, *, max_length: int = 19) -> bool:
    """ASCII digits only ("²".isdigit() is true, and int() refuses it), and not absurdly long."""
    return raw.isascii() and raw.isdigit() and len(raw) <= max_length


def _bool(request: HttpRequest, name: str) -> bool | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() not in ("true", "false"):
        raise _invalid(name, f"{name} must be true or false")
    return raw.lower() == "true"


def _list(request: HttpRequest, name: str) -> list[str]:
    """A repeated or comma-separated parameter (``types=LORA&types=VAE`` or ``types=LORA,VAE``)."""
    values = []
    for raw in request.GET.getlist(name) + request.GET.getlist(f"{name}[]"):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _served_id(raw: str, what: str) -> int:
    if not _digits(raw) or not 0 < int(raw) <= ids.MAX_ID:
        raise CompatError(400, f"Invalid {what}: {raw[:40]}")
    return int(raw)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _next_page(request: HttpRequest, **changes: Any) -> str:
    query = request.GET.copy()
    query.pop("token", None)  # never echo a secret into a link
    for key, value in changes.items():
        query[key] = str(value)
    return f"{request.build_absolute_uri(request.path)}?{query.urlencode()}"


def _page_metadata(request: HttpRequest, *, total: int, page: int, size: int) -> dict[str, Any]:
    pages = max(math.ceil(total / size), 1) if size else 1
    metadata: dict[str, Any] = {
        "totalItems": total,
        "currentPage": page,
        "pageSize": size,
        "totalPages": pages,
    }
    if page < pages:
        metadata["nextPage"] = _next_page(request, page=page + 1)
    if page > 1 and pages > 1:
        metadata["prevPage"] = _next_page(request, page=page - 1)
    return metadata


# --- models ----------------------------------------------------------------------------------


def _parse_cursor(raw: str | None) -> tuple[int, int] | None:
    if not raw:
        return None
    value, _, pk = raw.partition(":")
    if not (_digits(value.removeprefix("-"), max_length=12) and _digits(pk, max_length=18)):
        raise _invalid("cursor", "cursor is not one this API gave out")
    return int(value), int(pk)


@endpoint
def models(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/models``: CivitAI's listing, filters, sorts and pagination."""
    caller = caller_of(request)
    limit = _int(request, "limit", 100, low=0, high=100) or 100
    page = _int(request, "page", None, low=1, high=10**9)
    cursor = request.GET.get("cursor") or None
    query = request.GET.get("query", "").strip()
    if query and page:
        raise CompatError(
            400, "Cannot use page param with query search. Use cursor-based pagination."
        )
    for flag in ("favorites", "hidden"):
        if _bool(request, flag) and not caller.user.is_authenticated:
            raise CompatError(401, "Unauthorized")
    sort = request.GET.get("sort") or "Highest Rated"
    if sort not in selectors.MODEL_SORTS:
        raise _invalid("sort", f"sort must be one of {', '.join(selectors.MODEL_SORTS)}")
    period = request.GET.get("period") or "AllTime"
    if period not in selectors.PERIODS:
        raise _invalid("period", f"period must be one of {', '.join(selectors.PERIODS)}")
    types = _list(request, "types")
    if unknown := set(types) - set(ModelType.values):
        raise _invalid("types", f"unknown model types: {', '.join(sorted(unknown))}")
    commercial = _list(request, "allowCommercialUse") or None
    if commercial and set(commercial) - {*CommercialUse.values, "None"}:
        raise _invalid(
            "allowCommercialUse",
            "allowCommercialUse must be drawn from None, " + ", ".join(CommercialUse.values),
        )
    served_ids = None
    if request.GET.get("ids"):
        raw_ids = _list(request, "ids")
        if not all(_digits(i) and 0 < int(i) <= ids.MAX_ID for i in raw_ids):
            raise _invalid("ids", "ids must be comma-separated integers")
        if len(raw_ids) > MAX_IDS:
            raise _invalid("ids", f"ids takes at most {MAX_IDS} ids")
        served_ids = [int(i) for i in raw_ids]
    nsfw = bool(_bool(request, "nsfw"))
    primary_only = bool(_bool(request, "primaryFileOnly"))

    versions = selectors.servable_versions(caller)
    listed = selectors.filter_models(
        selectors.servable_models(caller),
        versions,
        query=query,
        tag=request.GET.get("tag", "").strip(),
        username=request.GET.get("username", "").strip(),
        types=types,
        base_models=_list(request, "baseModels"),
        commercial=commercial,
        allow_derivatives=_bool(request, "allowDerivatives"),
        allow_no_credit=_bool(request, "allowNoCredit"),
        allow_different_license=_bool(request, "allowDifferentLicense"),
        served_ids=served_ids,
        nsfw=nsfw,
        period=period,
    )
    metadata: dict[str, Any]
    if page and not cursor:
        ordered = selectors.after_cursor(listed, sort, None)
        rows = list(ordered.values(*documents.MODEL_FIELDS)[(page - 1) * limit : page * limit])
        metadata = _page_metadata(request, total=listed.count(), page=page, size=limit)
    else:
        ordered = selectors.after_cursor(listed, sort, _parse_cursor(cursor))
        rows = list(ordered.values(*documents.MODEL_FIELDS)[: limit + 1])
        metadata = {}
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = selectors.cursor_of(rows[-1], sort)
            next_page = _next_page(request, cursor=next_cursor)
            metadata = {"nextCursor": next_cursor, "nextPage": next_page}
    page_versions = selectors.page_versions(caller, rows).order_by("model_id", "index", "-pk")
    items = documents.model_documents(
        rows, page_versions, _base_url(request), nsfw=nsfw, primary_only=primary_only
    )
    return _json({"items": items, "metadata": metadata})


@endpoint
def model_detail(request: HttpRequest, model_id: str) -> HttpResponse:
    """``GET /api/v1/models/{id}``."""
    served = _served_id(model_id, "id")
    caller = caller_of(request)
    model = (
        selectors.servable_models(caller)
        .filter(**ids.lookup(served))
        .values(*documents.MODEL_FIELDS)
        .first()
    )
    if model is None:
        raise CompatError(404, f"No model with id {served}")
    versions = selectors.servable_versions(caller).filter(model_id=model["id"])
    (document,) = documents.model_documents(
        [model], versions.order_by("index", "-pk"), _base_url(request)
    )
    return _json(document)


@endpoint
def version_detail(request: HttpRequest, version_id: str) -> HttpResponse:
    """``GET /api/v1/model-versions/{id}``."""
    served = _served_id(version_id, "id")
    caller = caller_of(request)
    versions = selectors.servable_versions(caller).filter(**ids.lookup(served))
    return _version_read(request, caller, documents.version_detail(versions, _base_url(request)))


@endpoint
def version_by_hash(request: HttpRequest, file_hash: str) -> HttpResponse:
    """``GET /api/v1/model-versions/by-hash/{hash}``: any of CivitAI's hash kinds."""
    if not (file_hash.isascii() and file_hash.isalnum()) or len(file_hash) > 64:
        raise CompatError(400, f"Invalid hash: {file_hash[:70]}")
    caller = caller_of(request)
    versions = selectors.versions_by_hash(selectors.servable_versions(caller), file_hash)
    return _version_read(request, caller, documents.version_detail(versions, _base_url(request)))


def _version_read(request: HttpRequest, caller: Caller, found) -> HttpResponse:
    """The version's document; a read by a known caller is usage (an API read)."""
    if found is None:
        raise CompatError(404, "Model not found")
    pk, document = found
    response = _json(document)
    if request.method == "GET" and caller.user.is_authenticated:
        record_usage(
            kind=UsageEvent.Kind.API_READ,
            version=ModelVersion(pk=pk),
            user=caller.user,
            client=CLIENT,
            after=response,
        )
    return response


@endpoint
def enums(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/enums``: the values ``types``, ``baseModels`` and files take."""
    return _json(selectors.enums(selectors.servable_versions(caller_of(request))))


# --- tags, creators, images ------------------------------------------------------------------


def _paged(request: HttpRequest, rows, *, default_limit: int, max_limit: int):
    limit = _int(request, "limit", default_limit, low=0, high=max_limit) or default_limit
    page = _int(request, "page", 1, low=1, high=10**9)
    total = rows.count()
    chunk = list(rows[(page - 1) * limit : page * limit])
    return chunk, _page_metadata(request, total=total, page=page, size=limit)


@endpoint
def tags(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/tags``: tags of the models the caller may see, with counts."""
    rows = selectors.tag_counts(
        selectors.servable_models(caller_of(request)), query=request.GET.get("query", "").strip()
    )
    chunk, metadata = _paged(request, rows, default_limit=20, max_limit=200)
    base = _base_url(request)
    items = [
        {
            "name": t.name,
            "modelCount": t.model_count,
            "link": f"{base}/api/v1/models?{urlencode({'tag': t.name})}",
        }
        for t in chunk
    ]
    return _json({"items": items, "metadata": metadata})


@endpoint
def creators(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/creators``: creators of the models the caller may see."""
    rows = selectors.creator_counts(
        selectors.servable_models(caller_of(request)), query=request.GET.get("query", "").strip()
    )
    chunk, metadata = _paged(request, rows, default_limit=20, max_limit=200)
    base = _base_url(request)
    items = [
        {
            "username": c.username,
            "modelCount": c.model_count,
            "link": f"{base}/api/v1/models?{urlencode({'username': c.username})}",
            "image": c.image_url or None,
        }
        for c in chunk
    ]
    return _json({"items": items, "metadata": metadata})


@endpoint
def images(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/images``: preview images of the versions the caller may see."""
    caller = caller_of(request)
    limit = _int(request, "limit", 100, low=0, high=200) or 100
    versions = selectors.servable_versions(caller)
    if raw := request.GET.get("modelVersionId"):
        versions = versions.filter(**ids.lookup(_served_id(raw, "modelVersionId")))
    if raw := request.GET.get("modelId"):
        model = ids.lookup(_served_id(raw, "modelId"))
        versions = versions.filter(**{f"model__{k}": v for k, v in model.items()})
    if username := request.GET.get("username", "").strip():
        versions = versions.filter(model__creator__username__iexact=username)
    rows = selectors.visible_images(versions).order_by("-pk")
    if not _bool(request, "nsfw"):
        rows = rows.filter(nsfw_level__in=[1, 2])
    rows = rows.values(
        *documents.IMAGE_FIELDS,
        "version__hub",
        "version__external_id",
        "version__published_at",
        "version__created_at",
        "version__base_model",
        "version__model__creator__username",
    )
    page = _int(request, "page", None, low=1, high=10**9)
    cursor = request.GET.get("cursor")
    metadata: dict[str, Any] = {}
    if page and not cursor:
        chunk = list(rows[(page - 1) * limit : page * limit])
        metadata = _page_metadata(request, total=rows.count(), page=page, size=limit)
    else:
        if cursor:
            if not _digits(cursor, max_length=18):
                raise _invalid("cursor", "cursor is not one this API gave out")
            rows = rows.filter(pk__lte=int(cursor))
        chunk = list(rows[: limit + 1])
        if len(chunk) > limit:
            following = chunk[limit]["id"]
            metadata = {
                "nextCursor": str(following),
                "nextPage": _next_page(request, cursor=following),
            }
            chunk = chunk[:limit]
    items = []
    for image in chunk:
        version = {
            "hub": image["version__hub"],
            "external_id": image["version__external_id"],
            "id": image["version_id"],
        }
        created = image["version__published_at"] or image["version__created_at"]
        items.append(
            {
                **documents.image_document(image),
                "nsfw": image["nsfw_level"] > 2,
                "browsingLevel": image["nsfw_level"],
                "createdAt": documents.civitai_time(created),
                "postId": None,
                "stats": {
                    "cryCount": 0,
                    "laughCount": 0,
                    "likeCount": 0,
                    "dislikeCount": 0,
                    "heartCount": 0,
                    "commentCount": 0,
                },
                "username": image["version__model__creator__username"],
                "baseModel": image["version__base_model"],
                "modelVersionId": documents.served(version),
            }
        )
    return _json({"items": items, "metadata": metadata})


# --- downloads -------------------------------------------------------------------------------


def _pick_file(version: ModelVersion, request: HttpRequest) -> ModelFile | None:
    """CivitAI's choice of file: by ``type``/``format``/``size``/``fp`` if given, else the
    primary (Hubgate also takes ``fileId``)."""
    files = list(version.files.select_related("blob__current_scan").order_by("-primary", "pk"))
    if raw := request.GET.get("fileId"):
        wanted = _served_id(raw, "fileId")
        return next((f for f in files if ids.served_id(f) == wanted), None)
    wanted_fields = {
        key: request.GET[key] for key in ("type", "format", "size", "fp") if request.GET.get(key)
    }
    if not wanted_fields:
        return files[0] if files else None
    for file in files:
        values = {
            "type": file.type,
            "format": file.format,
            "size": file.size_variant,
            "fp": file.fp,
        }
        if all(values[key] == value for key, value in wanted_fields.items()):
            return file
    return None


@endpoint
def download(request: HttpRequest, version_id: str) -> HttpResponse:
    """``GET /api/download/models/{versionId}``: the stored file, with Range; a usage event.

    Always needs a key or a session, as CivitAI's downloads do; the caller's teams must be
    approved to use the version (403), and a retired version is gone (410).
    """
    served = _served_id(version_id, "modelVersionId")
    caller = caller_of(request, require_user=True)
    user = caller.user
    visible = visible_versions(user).select_related("model", "deprecation")
    version = visible.filter(**ids.lookup(served)).first()
    if version is None:
        raise CompatError(404, "Model not found")
    # Refused before a file is chosen: 403/410 (``endpoint`` renders it) whatever is asked.
    verdict = authorize_download(user=user, version=version)
    file = _pick_file(version, request)
    if file is None:
        raise CompatError(404, "Model file not found")
    if file.blob is None:
        raise CompatError(404, f"{file.name} has not been stored in Hubgate yet")
    return serve_download(request=request, user=user, file=file, client=CLIENT, verdict=verdict)
