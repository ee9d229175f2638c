"""The one reading of a model reference, and the CI client sorting its arguments by it."""

from __future__ import annotations

import pytest
from hubgate_cli.cli import reference_key

from governance.catalog.references import (
    CIVITAI,
    HASH,
    VERSION,
    InvalidReference,
    Reference,
    parse_hash,
    parse_reference,
)

SHA = "a" * 64

#: The shared table: what Hubgate reads, and how the standalone client sends it
#: ("hash" or "ref" field; None: the client refuses it as no file and no reference).
CASES = [
    ("42", Reference(VERSION, version_id=42), "ref"),
    (" 4201 ", Reference(VERSION, version_id=4201), "ref"),
    ("0123456789", Reference(VERSION, version_id=123456789), "ref"),
    (SHA, Reference(HASH, hash=SHA.upper()), "hash"),
    ("abcdef0123", Reference(HASH, hash="ABCDEF0123"), "hash"),
    ("4ee78cbc45", Reference(HASH, hash="4EE78CBC45"), "hash"),
    ("hash:0123456789", Reference(HASH, hash="0123456789"), "ref"),
    ("civitai:4201", Reference(CIVITAI, model_id=4201), "ref"),
    ("civitai:4201@130072", Reference(CIVITAI, model_id=4201, version_id=130072), "ref"),
    ("urn:air:sdxl:lora:civitai:123@456", Reference(CIVITAI, model_id=123, version_id=456), "ref"),
    (
        "urn:air:sdxl:checkpoint:civitai:123@456.safetensors",
        Reference(CIVITAI, model_id=123, version_id=456),
        "ref",
    ),
    ("urn:air:flux1:lora:civitai:123", Reference(CIVITAI, model_id=123), "ref"),
    ("air:sd1:lora:civitai:4201", Reference(CIVITAI, model_id=4201), "ref"),
    (
        "https://civitai.com/models/123?modelVersionId=456",
        Reference(CIVITAI, model_id=123, version_id=456),
        "ref",
    ),
    (
        "https://civitai.com/models/4201/lumen-photoreal-xl",
        Reference(CIVITAI, model_id=4201),
        "ref",
    ),
    (
        "civitai.com/models/4201/slug?modelVersionId=130072",
        Reference(CIVITAI, model_id=4201, version_id=130072),
        "ref",
    ),
    ("https://www.civitai.com/models/4201", Reference(CIVITAI, model_id=4201), "ref"),
    ("https://civitai.green/models/4201", Reference(CIVITAI, model_id=4201), "ref"),
    ("https://civitai.com/api/v1/models/4201", Reference(CIVITAI, model_id=4201), "ref"),
    (
        "https://civitai.com/api/v1/model-versions/130072",
        Reference(CIVITAI, version_id=130072),
        "ref",
    ),
    (
        "https://civitai.com/api/download/models/456?type=Model",
        Reference(CIVITAI, version_id=456),
        "ref",
    ),
]

#: Refused by Hubgate; the client sends them as references (Hubgate gives the reason) or
#: refuses them itself (None).
REFUSED = [
    ("", None),
    ("lumen photoreal", None),
    ("model.safetensors", None),
    ("ABCDEF0", None),  # 7 hex digits: no CivitAI hash is that long
    ("4201@130072", None),  # CivitAI ids need civitai:, a bare number is a Hubgate id
    ("99999999999999999999", "ref"),
    ("https://example.com/models/1", "ref"),
    ("https://civitai.com/images/5", "ref"),
    ("https://civitai.com/models/abc", "ref"),
    ("https://civitai.com/models/0", "ref"),
    ("https://civitai.com/models/1?modelVersionId=x", "ref"),
    ("ftp://civitai.com/models/1", None),
    ("urn:air:sdxl:lora:huggingface:org/repo", "ref"),
    ("urn:air:sdxl", "ref"),
    ("hash:123", "ref"),
]


@pytest.mark.parametrize(("text", "expected", "sent_as"), CASES)
def test_each_form_names_one_thing(text, expected, sent_as) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(("text", "sent_as"), REFUSED)
def test_anything_else_is_refused_with_a_reason(text, sent_as) -> None:
    with pytest.raises(InvalidReference) as caught:
        parse_reference(text)
    assert caught.value.detail
    assert isinstance(caught.value, ValueError)  # forms and serializers see bad input


@pytest.mark.parametrize(("text", "sent_as"), [(t, s) for t, _, s in CASES] + REFUSED)
def test_the_ci_client_sorts_its_arguments_by_the_same_table(text, sent_as) -> None:
    assert reference_key(text.strip()) == sent_as


def test_a_bare_number_is_a_hubgate_version_and_a_civitai_id_is_prefixed() -> None:
    assert parse_reference("4201").kind == VERSION
    assert parse_reference("civitai:4201") == Reference(CIVITAI, model_id=4201)
    with pytest.raises(InvalidReference, match="civitai:4201@1"):
        parse_reference("4201@1")


def test_a_url_on_the_configured_hub_names_a_civitai_model(settings) -> None:
    settings.HUBGATE_CIVITAI_BASE_URL = "https://hub.example.org"
    assert parse_reference("https://hub.example.org/models/7") == Reference(CIVITAI, model_id=7)


def test_hashes_are_told_apart_by_length() -> None:
    kinds = {n: parse_hash("b" * n).hash_kind for n in (8, 10, 12, 64)}
    assert kinds == {8: "autov1", 10: "autov2", 12: "autov3", 64: "sha256"}
    assert parse_hash(" " + SHA + " ").hash == SHA.upper()
    for bad in ("a" * 63, "g" * 64, "123"):
        with pytest.raises(InvalidReference, match="SHA256"):
            parse_hash(bad)
