"""Search filters on the search documents themselves (denormalised, one indexed scan).

Every equality filter of a search is a *key* ``kind:value`` stored in
``SearchDocument.filter_keys`` (space-separated, values percent-encoded so a key never holds a
space): ``type:LORA``, ``cu:Image`` (a commercial use the creator allows), ``team:<id>`` (the
owning team), ``tag:<name>``, ``base:<base model>``, ``state:<version state>`` and
``bs:<base model>/<state>`` (one *version* with both, so "SDXL and approved" keeps meaning the
same version). The NSFW level, a range filter, is the ``nsfw_level`` column.

PostgreSQL matches the keys as a text array (``@>`` for "every one of", ``&&`` for "one of")
with a multicolumn GIN index over the tsvector, the key array and the NSFW level, so the text
match and all the filters are one index scan. SQLite looks for each key with ``instr``.

The keys are written by the same path as the search text (``services.index_models``) and are an
accelerator only: the search service filters again against the catalog itself, with the user's
visibility, so a stale key can hide a model until it is re-indexed but never show a wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product
from urllib.parse import quote

from django.apps import apps as django_apps
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import F, Func, IntegerField, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat

from governance.catalog.models import COMMERCIAL_USE_FIELDS, NsfwLevel
from governance.hookspecs import SearchRequest


def key(kind: str, value: object) -> str:
    """One filter key; the value percent-encoded (no spaces, no separators)."""
    return f"{kind}:{quote(str(value), safe='')}"


def _pair(base_model: str, state: str) -> str:
    return key("bs", f"{base_model}/{state}")


def effective_nsfw_level(*, flagged: bool, nsfw_level: int | None) -> int:
    """The level a "hide NSFW" filter compares: a model its creator flagged NSFW counts as
    at least R even when its previews' level says less (CivitAI's flag and its browsing
    level are set apart, and either one is reason enough to hide it)."""
    level = nsfw_level or 0
    return max(level, NsfwLevel.R) if flagged else level


def filter_fields(model_ids: Iterable[int], *, registry=django_apps) -> dict[int, tuple[str, int]]:
    """``{model id: (filter_keys, nsfw_level)}`` read from the catalog in three queries.

    ``registry`` is the app registry to read through (a migration passes its historical one).
    """
    ids = list(model_ids)
    catalog_model = registry.get_model("catalog", "Model")
    version = registry.get_model("catalog", "ModelVersion")
    tagging = catalog_model._meta.get_field("tags").remote_field.through
    keys: dict[int, set[str]] = {}
    nsfw: dict[int, int] = {}
    uses = list(COMMERCIAL_USE_FIELDS.items())
    rows = catalog_model.objects.filter(pk__in=ids).values_list(
        "pk", "type", "nsfw", "nsfw_level", "owning_team_id", *(name for _, name in uses)
    )
    for pk, model_type, flagged, nsfw_level, team_id, *allowed in rows:
        found = keys.setdefault(pk, set())
        found.add(key("type", model_type))
        found.update(key("cu", use.value) for (use, _), ok in zip(uses, allowed, strict=True) if ok)
        if team_id is not None:
            found.add(key("team", team_id))
        nsfw[pk] = effective_nsfw_level(flagged=flagged, nsfw_level=nsfw_level)
    versions = version.objects.filter(model_id__in=ids).values_list(
        "model_id", "base_model", "state"
    )
    for model_id, base_model, state in versions:
        found = keys.setdefault(model_id, set())
        found.update((key("state", state), _pair(base_model or "", state)))
        if base_model:
            found.add(key("base", base_model))
    for model_id, name in tagging.objects.filter(model_id__in=ids).values_list(
        "model_id", "tag__name"
    ):
        keys.setdefault(model_id, set()).add(key("tag", name))
    return {pk: (" ".join(sorted(keys.get(pk, ()))), nsfw[pk]) for pk in nsfw}


class _KeyArray(Func):
    """``string_to_array(filter_keys, ' ')``: exactly the expression the GIN index holds."""

    template = "string_to_array(%(expressions)s, ' ')"
    output_field = ArrayField(TextField())


def _team_key(slug: str) -> str | None:
    team_id = (
        django_apps.get_model("accounts", "Team")
        .objects.filter(slug=slug)
        .values_list("pk", flat=True)
        .first()
    )
    return None if team_id is None else key("team", team_id)


def filter_documents(documents: QuerySet, request: SearchRequest) -> QuerySet:
    """``documents`` (a SearchDocument queryset) narrowed by the filters of ``request``."""
    every: list[str] = [key("cu", use) for use in request.commercial_use]
    every += [key("tag", tag) for tag in request.tags]
    one_of: list[list[str]] = []
    if request.team:
        team = _team_key(request.team)
        if team is None:
            return documents.none()
        every.append(team)
    if request.types:
        one_of.append([key("type", t) for t in request.types])
    if request.base_models and request.states:
        one_of.append([_pair(b, s) for b, s in product(request.base_models, request.states)])
    elif request.base_models:
        one_of.append([key("base", b) for b in request.base_models])
    elif request.states:
        one_of.append([key("state", s) for s in request.states])
    if request.max_nsfw_level is not None:
        documents = documents.filter(nsfw_level__lte=request.max_nsfw_level)
    if not every and not one_of:
        return documents
    if connection.vendor == "postgresql":
        documents = documents.alias(filter_keyset=_KeyArray(F("filter_keys")))
        if every:
            documents = documents.filter(filter_keyset__contains=every)
        for group in one_of:
            documents = documents.filter(filter_keyset__overlap=group)
        return documents
    # SQLite: instr() on the space-padded keys (case-sensitive, unlike SQLite's LIKE).
    padded = Concat(Value(" "), F("filter_keys"), Value(" "), output_field=TextField())
    positions = {
        f"filter_key_{n}": Func(
            padded, Value(f" {each} "), function="INSTR", output_field=IntegerField()
        )
        for n, each in enumerate([*every, *(k for group in one_of for k in group)])
    }
    documents = documents.alias(**positions)
    names = iter(positions)
    for _ in every:
        documents = documents.filter(**{f"{next(names)}__gt": 0})
    for group in one_of:
        any_of = Q()
        for _ in group:
            any_of |= Q(**{f"{next(names)}__gt": 0})
        documents = documents.filter(any_of)
    return documents
