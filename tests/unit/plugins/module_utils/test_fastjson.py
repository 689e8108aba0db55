# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""core/fastjson.py: msgspec when importable, the same values and errors as the standard library."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import fastjson

DOC = {"b": [1, 2.5, None, True], "a": {"é": "→ revision default", "n": 12345678901234567890123}, "e": {}, "l": []}


def test_the_fast_path_is_in_use_when_msgspec_is_installed():
    pytest.importorskip("msgspec")
    if os.environ.get("MESHOPS_JSON_DECODER") == "json":
        pytest.skip("the plain path was asked for")
    assert fastjson.NAME.startswith("msgspec ")


def test_loads_gives_the_values_of_json_loads():
    body = json.dumps(DOC).encode()
    assert fastjson.loads(body) == json.loads(body) == DOC
    assert fastjson.loads(b"1e400") == float("inf")  # msgspec refuses it: json.loads decides


def test_loads_raises_value_error_on_bad_json():
    with pytest.raises(ValueError):
        fastjson.loads(b'{"a": ')


def test_dumps_indented_keeps_key_order_and_values():
    text = fastjson.dumps_indented(DOC)
    assert json.loads(text) == DOC
    assert list(json.loads(text)) == ["b", "a", "e", "l"]
    assert text.startswith('{\n  "b": [\n    1,\n') and not text.endswith("\n")
    assert text.replace("\u00e9", "\\u00e9").replace("\u2192", "\\u2192") == json.dumps(DOC, indent=2)
