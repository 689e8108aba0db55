# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON decoding and pretty encoding with msgspec when it is importable, the standard library otherwise.

msgspec is optional (requirements.txt): it parses LIST pages faster than json.loads and writes an
indented report about ten times faster than json.dump(indent=2), whose indenting encoder is pure
Python. The values are the same either way; the one visible difference is that msgspec writes
non-ASCII text as UTF-8 where json.dump writes \\u escapes. MESHOPS_JSON_DECODER=json turns msgspec
off (the plain path, which tests/integration/snapshot/test_fast_path.py compares with the fast one).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Optional

try:
    if os.environ.get("MESHOPS_JSON_DECODER", "") == "json":
        raise ImportError("turned off by MESHOPS_JSON_DECODER=json")
    import msgspec

    _DECODE: Optional[Callable[[bytes], Any]] = msgspec.json.Decoder().decode
    _ENCODE: Optional[Callable[[Any], bytes]] = msgspec.json.Encoder().encode
    _FORMAT: Optional[Callable[..., bytes]] = msgspec.json.format
    NAME = "msgspec %s" % getattr(msgspec, "__version__", "")
except ImportError:
    _DECODE = _ENCODE = _FORMAT = None
    NAME = "json"


def loads(body: bytes) -> Any:
    """Parse JSON; on anything msgspec rejects json.loads decides (e.g. 1e400 is inf there), so the
    values and the ValueError raised on bad JSON are those of the plain path."""
    if _DECODE is not None:
        try:
            return _DECODE(body)
        except ValueError:
            pass
    return json.loads(body)


def dumps_indented(value: Any) -> str:
    """`value` as JSON indented by 2, keys in their order, ending without a newline."""
    if _ENCODE is not None and _FORMAT is not None:
        try:
            return _FORMAT(_ENCODE(value), indent=2).decode("utf-8")
        except (TypeError, ValueError):
            pass  # a value msgspec cannot encode: json.dumps says why
    return json.dumps(value, indent=2, sort_keys=False)
