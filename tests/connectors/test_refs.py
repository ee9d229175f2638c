"""Every way a person names a CivitAI model: id, URL, AIR, file hash."""

import pytest

from governance.connectors.errors import InvalidReference
from governance.connectors.refs import HubRef, parse_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4201", HubRef(model_id=4201)),
        (" 4201@130072 ", HubRef(model_id=4201, version_id=130072)),
        ("https://civitai.com/models/4201", HubRef(model_id=4201)),
        ("https://civitai.com/models/4201/lumen-photoreal-xl", HubRef(model_id=4201)),
        ("https://civitai.com/models/4201?modelVersionId=130072",
         HubRef(model_id=4201, version_id=130072)),
        ("civitai.com/models/4201/slug?modelVersionId=130072",
         HubRef(model_id=4201, version_id=130072)),
        ("https://civitai.com/api/v1/models/4201", HubRef(model_id=4201)),
        ("https://civitai.com/api/v1/model-versions/130072", HubRef(version_id=130072)),
        ("https://civitai.com/api/download/models/130072?type=Model", HubRef(version_id=130072)),
        ("urn:air:sdxl:lora:civitai:4201@130072", HubRef(model_id=4201, version_id=130072)),
        ("urn:air:sdxl:checkpoint:civitai:4201@130072.safetensors",
         HubRef(model_id=4201, version_id=130072)),
        ("air:sd1:lora:civitai:4201", HubRef(model_id=4201)),
        ("civitai:4201@130072", HubRef(model_id=4201, version_id=130072)),
        ("4ee78cbc45", HubRef(hash="4EE78CBC45")),
        ("A" * 64, HubRef(hash="A" * 64)),
        ("B3D8D05BF8D1", HubRef(hash="B3D8D05BF8D1")),
        ("hash:12345678", HubRef(hash="12345678")),
    ],
)  # fmt: skip
def test_a_reference_names_a_model_version_or_hash(text, expected) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "lumen photoreal",
        "urn:air:sdxl:lora:huggingface:4201@1",
        "https://civitai.com/images/123",
        "ftp://civitai.com/models/1",
        "ABCDEF0",  # 7 hex digits: no CivitAI hash is that long
        "https://civitai.com/models/0",
        "99999999999999999999",
    ],
)
def test_anything_else_is_refused_with_a_clear_message(text) -> None:
    with pytest.raises(InvalidReference) as caught:
        parse_reference(text)
    assert caught.value.detail
