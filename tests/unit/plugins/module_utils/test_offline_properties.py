# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based tests of the offline loader: random documents, and the example snapshot's objects
with random fields replaced, either load (and then diagnose) or raise the collection's own
InputError, never a bare exception; the memory one example costs is measured with tracemalloc and
bounded. Derandomized, so a CI run is reproducible; `--hypothesis-seed` explores further."""

from __future__ import annotations

import copy
import json
import os
import tempfile
import tracemalloc
from typing import Any, Dict, List

import pytest

hypothesis = pytest.importorskip("hypothesis")
yaml = pytest.importorskip("yaml")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap  # noqa: E402
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose  # noqa: E402
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options  # noqa: E402
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline  # noqa: E402
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.limits import (  # noqa: E402
    InputError,
    Limits,
)

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "examples", "istio-broken")
# Per example: a few KiB of documents; the bound catches an expansion (aliases, gzip, copies), not noise.
MEMORY_BOUND = 64 * 1024 * 1024
SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    derandomize="HYPOTHESIS_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["istio-system", "default", "true", "enabled", "pods", "CREATE", "", "*"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20,
)
KINDS = sorted(snap.KIND_TO_RESOURCE)
FIELDS = [
    "metadata",
    "spec",
    "status",
    "webhooks",
    "data",
    "rules",
    "subjects",
    "roleRef",
    "subsets",
    "endpoints",
    "ports",
    "involvedObject",
    "items",
    "type",
    "reason",
]
documents = st.fixed_dictionaries(
    {"kind": st.one_of(st.sampled_from(KINDS + [k + "List" for k in KINDS]), values)},
    optional={"apiVersion": st.sampled_from(["v1", "apps/v1", "events.k8s.io/v1"]), **{f: values for f in FIELDS}},
)


def _example_objects() -> List[Dict[str, Any]]:
    objects: List[Dict[str, Any]] = []
    for name in sorted(os.listdir(EXAMPLE)):
        with open(os.path.join(EXAMPLE, name)) as handle:
            for doc in yaml.safe_load_all(handle):
                if isinstance(doc, dict) and isinstance(doc.get("items"), list):
                    kind = doc["kind"][: -len("List")] if doc["kind"].endswith("List") else None
                    objects.extend(dict(item, kind=item.get("kind") or kind) for item in doc["items"])
                elif isinstance(doc, dict):
                    objects.append(doc)
    return objects


EXAMPLE_OBJECTS = _example_objects()


def _load_bounded(text: str, name: str) -> None:
    """Load `text` as file `name` (then diagnose it): it loads or raises InputError, within the bound."""
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        tracemalloc.start()
        try:
            try:
                snapshot = offline.load(root, limits=Limits())
            except InputError as exc:
                assert name in str(exc) or root in str(exc)
                return
            diagnose(snapshot, Options())
        finally:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert peak < MEMORY_BOUND


def test_the_example_has_objects_of_many_kinds():
    assert len({obj.get("kind") for obj in EXAMPLE_OBJECTS} - {None}) == 22 and len(EXAMPLE_OBJECTS) == 130


@SETTINGS
@given(st.lists(documents, min_size=1, max_size=4), st.booleans())
def test_random_documents_load_or_raise_the_collections_error(docs, as_json):
    if as_json:
        _load_bounded(json.dumps(docs if len(docs) > 1 else docs[0]), "random.json")
    else:
        _load_bounded(yaml.safe_dump_all(docs), "random.yaml")


def _paths(value: Any, prefix: tuple = ()) -> List[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for key, sub in value.items():
            out.extend(_paths(sub, prefix + (key,)))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            out.extend(_paths(sub, prefix + (index,)))
    return out


def _replace(obj: Any, path: tuple, value: Any) -> None:
    """Set obj[path] = value when the path still exists (an earlier replacement may have cut it)."""
    parent = obj
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(parent, dict) or (isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent)):
        parent[path[-1]] = value


@SETTINGS
@given(st.data())
def test_example_objects_with_fields_replaced_load_or_raise(data):
    obj = copy.deepcopy(data.draw(st.sampled_from(EXAMPLE_OBJECTS)))
    paths = [p for p in _paths(obj) if p]
    for _round in range(data.draw(st.integers(min_value=1, max_value=3))):
        _replace(obj, data.draw(st.sampled_from(paths)), data.draw(values))
    _load_bounded(yaml.safe_dump(obj), "mutated.yaml")


@SETTINGS
@given(st.sampled_from(EXAMPLE_OBJECTS), st.integers(min_value=0, max_value=10**6), st.binary(min_size=1, max_size=8))
def test_example_text_with_bytes_overwritten_loads_or_raises(obj, where, junk):
    text = yaml.safe_dump(obj)
    at = where % len(text)
    _load_bounded(text[:at] + junk.decode("latin-1") + text[at + len(junk) :], "damaged.yaml")
