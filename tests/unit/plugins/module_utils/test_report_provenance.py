# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report says when and from what it was made; a failed run leaves no previous report behind."""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import diagnose as runner

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
EXAMPLE = os.path.join(REPO, "examples", "istio-broken")


def test_the_report_carries_its_provenance(tmp_path):
    pytest.importorskip("yaml")
    path = str(tmp_path / "prod.json")
    out = runner.run({"src": EXAMPLE, "report_path": path})
    with open(path) as handle:
        written = json.load(handle)
    if os.path.exists(os.path.join(REPO, "galaxy.yml")):
        with open(os.path.join(REPO, "galaxy.yml")) as handle:
            version = yaml.safe_load(handle)["version"]
    else:  # ansible-test units runs on the built collection, which has MANIFEST.json instead
        with open(os.path.join(REPO, "MANIFEST.json")) as handle:
            version = json.load(handle)["collection_info"]["version"]
    assert written["provenance"] == out["provenance"]
    generated = out["provenance"].pop("generated_at")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", generated)
    assert out["provenance"] == {
        "gathered_at": None,
        "source": "offline",
        "from": EXAMPLE,
        "collection": "meshops.sidecar_injection",
        "collection_version": version,
    }


def test_a_failed_run_removes_the_previous_report(tmp_path):
    path = tmp_path / "prod.json"
    path.write_text('{"schema": 1, "summary": "from last week"}\n')
    missing = str(tmp_path / "gone")
    with pytest.raises(runner.DiagnoseError) as exc:
        runner.run({"src": missing, "report_path": str(path)})
    assert str(exc.value) == "src %s does not exist (the previous report %s was removed)" % (missing, path)
    assert exc.value.details == {"stale_report_removed": str(path)}
    assert not path.exists()


def test_check_mode_leaves_the_previous_report_alone(tmp_path):
    path = tmp_path / "prod.json"
    path.write_text("{}\n")
    with pytest.raises(runner.DiagnoseError) as exc:
        runner.run({"src": str(tmp_path / "gone"), "report_path": str(path)}, check_mode=True)
    assert str(exc.value) == "src %s does not exist" % (tmp_path / "gone")
    assert path.read_text() == "{}\n"
