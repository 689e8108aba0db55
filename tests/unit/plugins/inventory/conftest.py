"""Run Ansible's real InventoryManager in this process, with the collection loader it needs.

InventoryManager resolves `meshops.sidecar_injection.kubeconfig` through Ansible's collection
loader, which must have imported the collection package itself. Under `ansible-test units` that
loader is installed before any test; under plain pytest the other tests have already imported
`ansible_collections` as an ordinary package, so those modules are set aside while the loader runs
and put back afterwards."""

from __future__ import annotations

import os
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def _ours(name):
    return name == "ansible_collections" or name.startswith("ansible_collections.")


@pytest.fixture(scope="session")
def collection_loader():
    from ansible.utils.collection_loader import AnsibleCollectionConfig

    if AnsibleCollectionConfig.collection_finder is not None:  # ansible-test units
        yield
        return
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    saved = {name: module for name, module in sys.modules.items() if _ours(name)}
    for name in saved:
        del sys.modules[name]
    init_plugin_loader([os.path.join(REPO, ".collections")])
    yield
    _AnsibleCollectionFinder._remove()
    for name in [name for name in sys.modules if _ours(name)]:
        del sys.modules[name]
    sys.modules.update(saved)
