"""Locate the project's shared reference data (../shared next to the repo) without copying it.

Tests that read upstream fixtures or conformance data call `shared_path(...)` and skip cleanly when
the folder is absent. MESHOPS_SHARED_DIR overrides the search; otherwise the nearest parent folder
holding `shared/spec/findings.yaml` wins (this also works from ansible-test's copy of the repo).
"""

from __future__ import annotations

import os

import pytest


def _find_shared():
    override = os.environ.get("MESHOPS_SHARED_DIR")
    if override:
        return override if os.path.isdir(override) else None
    here = os.path.dirname(os.path.abspath(__file__))
    while True:
        candidate = os.path.join(here, "shared")
        if os.path.isfile(os.path.join(candidate, "spec", "findings.yaml")):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


SHARED_DIR = _find_shared()


def shared_path(*parts):
    """Path below ../shared, or skip the calling test when it is not there."""
    if SHARED_DIR is None:
        pytest.skip("../shared is not present (set MESHOPS_SHARED_DIR to point at it)")
    path = os.path.join(SHARED_DIR, *parts)
    if not os.path.exists(path):
        pytest.skip("%s is not present" % path)
    return path
