"""The catalog names each v0-v2 construct's builder; the embedded synth has exactly those."""

from __future__ import annotations

from sst_lsp import catalog
from sst_lsp.cloud import synth_embedded, synth_spec


def test_every_catalog_builder_has_a_builder_and_every_builder_an_entry() -> None:
    assert catalog.builder_keys() == set(synth_embedded.BUILDERS)


def test_modeled_kinds_are_the_catalogs() -> None:
    assert synth_embedded.MODELED_KINDS == synth_spec.MODELED_KINDS == catalog.modeled_kinds()


def test_attributes_and_grants_have_a_builder() -> None:
    assert set(synth_embedded._ATTRS) <= set(synth_embedded.BUILDERS)
    for s in catalog.SPECS:
        if s.binding.grant_action is not None:
            assert s.builder in synth_embedded._GRANT_RESOURCES, s.kind
        if s.binding.variable is not None or s.binding.grant_action is not None:
            assert s.builder is not None, s.kind
