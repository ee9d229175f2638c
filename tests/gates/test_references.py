"""How a CI job may name what it ships: hashes, ids, CivitAI URLs and AIRs."""

import pytest

from governance.gates.references import Reference, parse_hash, parse_reference

SHA = "a" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SHA, Reference("sha256", SHA.upper())),
        ("0123456789", Reference("version", "123456789")),
        ("abcdef0123", Reference("autov2", "ABCDEF0123")),
        ("42", Reference("version", "42")),
        (
            "https://civitai.com/models/123?modelVersionId=456",
            Reference("civitai", model_id="123", version_id="456"),
        ),
        ("https://civitai.com/models/123/some-slug", Reference("civitai", model_id="123")),
        ("https://civitai.com/api/download/models/456", Reference("civitai", version_id="456")),
        (
            "urn:air:sdxl:lora:civitai:123@456",
            Reference("civitai", model_id="123", version_id="456"),
        ),
        (
            "urn:air:sdxl:checkpoint:civitai:123@456.safetensors",
            Reference("civitai", model_id="123", version_id="456"),
        ),
        ("urn:air:flux1:lora:civitai:123", Reference("civitai", model_id="123")),
    ],
)
def test_references_parse(text, expected) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "model.safetensors",
        "https://example.com/models/1",
        "https://civitai.com/images/5",
        "https://civitai.com/models/abc",
        "https://civitai.com/models/1?modelVersionId=x",
        "urn:air:sdxl:lora:huggingface:org/repo",
        "urn:air:sdxl",
    ],
)
def test_anything_else_is_refused_with_a_reason(text) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_reference(text)


def test_a_hash_field_takes_only_sha256_or_autov2() -> None:
    assert parse_hash(" " + SHA + " ").value == SHA.upper()
    for bad in ("a" * 63, "g" * 64, "123"):
        with pytest.raises(ValueError, match="SHA256"):
            parse_hash(bad)
