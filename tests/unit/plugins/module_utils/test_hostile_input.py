# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every hostile input of issue 11 fails with a message naming the input and its limit, in a fresh
process whose peak memory stays under 300 MB. Wall time is recorded in docs/reliability.md (by
`hostile_inputs.py`), never asserted."""

from __future__ import annotations

import os

import pytest

from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import hostile_inputs

pytest.importorskip("yaml")

MEMORY_BOUND_MB = 300


def test_fifteen_hostile_inputs_are_tried():
    assert len(hostile_inputs.HOSTILE) == 15


@pytest.mark.parametrize("build", hostile_inputs.HOSTILE, ids=lambda b: b.__name__)
def test_a_hostile_input_fails_fast_naming_itself(build, tmp_path):
    src, expected = build(str(tmp_path))
    got = hostile_inputs.measure(src)
    assert got.get("crash") is None
    assert got["error"] is not None and expected in got["error"]
    assert os.path.basename(src) in got["error"]
    assert got["max_rss_mb"] < MEMORY_BOUND_MB


def test_the_limit_options_are_documented_with_their_defaults():
    import yaml

    from ansible_collections.meshops.sidecar_injection.plugins.doc_fragments.input_limits import ModuleDocFragment
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import limits, source

    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert {name: (o["type"], o["default"]) for name, o in documented.items()} == {
        name: (o["type"], o["default"]) for name, o in limits.LIMIT_OPTIONS.items()
    }
    assert len(documented) == 7 and set(documented) <= set(source.SOURCE_ARGUMENT_SPEC)
