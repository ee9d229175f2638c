"""What a CI check item may be: the references every route reads, hashes the catalog stores."""

import pytest

from governance.catalog.references import CIVITAI, HASH, VERSION
from governance.ci.check import CheckItem, parse_item


def test_an_item_is_a_hash_or_a_reference() -> None:
    assert parse_item(CheckItem(hash="a" * 64)).kind == HASH
    assert parse_item(CheckItem(ref="42")).kind == VERSION
    assert parse_item(CheckItem(ref="urn:air:sdxl:lora:civitai:1@2")).kind == CIVITAI
    with pytest.raises(ValueError, match="exactly one"):
        parse_item(CheckItem(hash="a" * 64, ref="42"))


@pytest.mark.parametrize("text", ["abcdef01", "abcdef012345", "hash:abcdef01"])
def test_the_check_refuses_hashes_the_catalog_does_not_store(text) -> None:
    with pytest.raises(ValueError, match="SHA256"):
        parse_item(CheckItem(ref=text))
