"""Licensing test data: the shipped catalog and the demo intended-use profiles."""

from governance.licensing.demo import seed_intended_uses
from governance.licensing.services import sync_license_catalog

#: A CivitAI model whose creator allows every commercial use, merges and other terms.
PERMISSIVE_FLAGS = {
    "model__allow_no_credit": True,
    "model__commercial_image": True,
    "model__commercial_rent_civit": True,
    "model__commercial_rent": True,
    "model__commercial_sell": True,
    "model__allow_derivatives": True,
    "model__allow_different_license": True,
}


def install_licensing() -> None:
    """The shipped license catalog and the demo profiles (commercial-products,
    internal-research, …). The migration loads the catalog, but a transactional test's flush
    removes it, so tests that need it say so."""
    sync_license_catalog()
    seed_intended_uses()
