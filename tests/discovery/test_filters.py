import pytest

from governance.catalog.models import Model, VersionState
from governance.discovery.filters import filter_documents, filter_fields, key
from governance.discovery.models import SearchDocument
from governance.discovery.selectors import filter_models
from governance.hookspecs import SearchRequest
from tests.accounts.factories import TeamFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory, TagFactory

REQUESTS = [
    {"types": ("Checkpoint",)},
    {"types": ("Checkpoint", "LORA")},
    {"tags": ("photorealistic",)},
    {"tags": ("photorealistic", "portrait")},
    {"commercial_use": ("Image",)},
    {"commercial_use": ("Image", "Sell")},
    {"commercial_use": ("Rent",)},
    {"max_nsfw_level": 1},
    {"max_nsfw_level": 4},
    {"base_models": ("SDXL 1.0",)},
    {"base_models": ("SDXL 1.0", "Wan Video")},
    {"states": ("approved",)},
    {"states": ("draft", "approved")},
    {"base_models": ("SDXL 1.0",), "states": ("approved",)},
    {"base_models": ("sdxl 1.0",)},  # exact, as in the catalog: no case folding
    {"types": ("lora",)},
    {"base_models": ("Wan Video",), "states": ("approved",)},
    {"team": "nobody-has-this-slug"},
    {"types": ("LORA",), "tags": ("anime",), "max_nsfw_level": 1, "base_models": ("SD 1.5",)},
]


@pytest.mark.parametrize("filters", REQUESTS)
def test_document_filters_select_what_the_catalog_filters_select(catalog, filters):
    request = SearchRequest(query="", **filters)
    expected = set(filter_models(Model.objects.all(), request).values_list("pk", flat=True))
    got = filter_documents(SearchDocument.objects.all(), request)
    assert set(got.values_list("model_id", flat=True)) == expected


def test_team_filter_uses_the_owning_team(catalog):
    request = SearchRequest(query="", team=catalog["team"].slug)
    got = filter_documents(SearchDocument.objects.all(), request)
    assert list(got.values_list("model_id", flat=True)) == [catalog["clay"].pk]


def test_base_model_and_state_must_hold_for_the_same_version(catalog):
    # The anime model gets an SDXL draft: "SDXL and approved" must still not match it.
    ModelVersionFactory(model=catalog["anime"], base_model="SDXL 1.0", state=VersionState.DRAFT)
    keys, _ = filter_fields([catalog["anime"].pk])[catalog["anime"].pk]
    assert {key("base", "SDXL 1.0"), key("state", "approved")} <= set(keys.split())
    SearchDocument.objects.filter(pk=catalog["anime"].pk).update(filter_keys=keys)
    request = SearchRequest(query="", base_models=("SDXL 1.0",), states=("approved",))
    got = filter_documents(SearchDocument.objects.all(), request)
    assert catalog["anime"].pk not in set(got.values_list("model_id", flat=True))


def test_keys_never_hold_spaces_and_odd_values_round_trip(catalog):
    model = catalog["anime"]
    model.tags.add(TagFactory(name="100% cotton, wool_blend"))
    SearchDocument.objects.filter(pk=model.pk).update(
        filter_keys=filter_fields([model.pk])[model.pk][0]
    )
    assert key("tag", "a b/c%") == "tag:a%20b%2Fc%25"
    for tags, expected in ((("100% cotton, wool_blend",), {model.pk}), (("100",), set())):
        got = filter_documents(SearchDocument.objects.all(), SearchRequest(query="", tags=tags))
        assert set(got.values_list("model_id", flat=True)) == expected


def test_filter_columns_follow_catalog_changes_through_the_index_path(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        model = ModelFactory(name="Moving Target")
    assert SearchDocument.objects.get(pk=model.pk).nsfw_level == 1
    team = TeamFactory()
    with django_capture_on_commit_callbacks(execute=True):
        model.owning_team = team
        model.nsfw_level = 8
        model.save()
        model.tags.add(TagFactory(name="newtag"))
        ModelVersionFactory(model=model, base_model="Pony", state=VersionState.DEPRECATED)
    doc = SearchDocument.objects.get(pk=model.pk)
    assert doc.nsfw_level == 8
    assert {key("team", team.pk), key("tag", "newtag"), key("bs", "Pony/deprecated")} <= set(
        doc.filter_keys.split()
    )


@pytest.mark.parametrize("max_level, shown", [(2, False), (3, False), (4, True), (31, True)])
def test_a_model_flagged_nsfw_is_hidden_whatever_its_previews_level(
    db, django_capture_on_commit_callbacks, max_level, shown
):
    # CivitAI sets the creator's NSFW flag and the browsing level apart: either one hides it.
    with django_capture_on_commit_callbacks(execute=True):
        flagged = ModelFactory(name="Flagged", nsfw=True, nsfw_level=1)
        plain = ModelFactory(name="Plain", nsfw=False, nsfw_level=1)
    request = SearchRequest(query="", max_nsfw_level=max_level)
    by_documents = set(
        filter_documents(SearchDocument.objects.all(), request).values_list("model_id", flat=True)
    )
    by_catalog = set(filter_models(Model.objects.all(), request).values_list("pk", flat=True))
    expected = {plain.pk, flagged.pk} if shown else {plain.pk}
    assert by_documents == by_catalog == expected
