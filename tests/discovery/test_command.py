import json
from io import StringIO

from django.core.management import call_command


def test_search_command_prints_json_as_a_user_sees_it(user, catalog):
    out = StringIO()
    args = ["anime", "--mode", "lexical", "--format", "json", "--user", user.username]
    call_command("search", *args, stdout=out, skip_checks=True)
    body = json.loads(out.getvalue())
    assert body["results"][0]["name"] == "Retro Anime 90s"
    assert body["mode"] == "lexical"


def test_reindex_rebuilds_every_index_and_is_audited(catalog):
    from governance.audit.models import AuditEntry

    out, err = StringIO(), StringIO()
    call_command(
        "search",
        "--reindex",
        "--format",
        "text",
        "plasticine",
        stdout=out,
        stderr=err,
        skip_checks=True,
    )
    assert "Indexed 4 models" in err.getvalue()
    assert "Claymation Motion" in out.getvalue()
    assert AuditEntry.objects.filter(action="search.reindexed").exists()
