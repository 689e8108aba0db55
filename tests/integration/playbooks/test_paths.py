"""Paths given to playbooks/diagnose.yml resolve against the directory ansible-playbook was started
from (the module runs in a temporary directory), every message shows the resolved path, and report
file names made from inventory host names stay inside report_dir."""

from __future__ import annotations

import json
import os
import shutil

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.names import file_stem
from ansible_collections.meshops.sidecar_injection.tests.integration.playbooks.test_diagnose_playbook import (
    EXAMPLE,
    REPO,
    playbook,
)

ROOT = os.path.realpath(REPO)  # the start directory as the controller sees it (symlinks resolved)


def test_relative_snapshot_path_and_report_dir_resolve_against_the_start_directory(tmp_path):
    relative = os.path.join("tests", "output", "paths-%d" % os.getpid())  # tests/output is git-ignored
    shutil.rmtree(os.path.join(REPO, relative), ignore_errors=True)
    try:
        done = playbook(
            tmp_path,
            {"all": {"hosts": {}}},
            "-e",
            "snapshot_path=examples/istio-broken",
            "-e",
            "report_dir=" + relative,
        )
        assert done.returncode == 0, done.stdout[-3000:]
        written = os.path.join(REPO, relative, "localhost.json")
        with open(written) as handle:
            assert json.load(handle)["cluster"]["path"] == os.path.join(ROOT, "examples", "istio-broken")
        assert "report: %s" % os.path.join(ROOT, relative, "localhost.json") in done.stdout
        assert "reports: %s" % os.path.join(ROOT, relative) in done.stdout
        assert sorted(os.listdir(os.path.join(REPO, relative))) == [
            "fleet.html",
            "fleet.json",
            "junit.xml",
            "localhost.json",
            "localhost.md",
            "sidecar_injection.prom",
        ]
    finally:
        shutil.rmtree(os.path.join(REPO, relative), ignore_errors=True)


def test_a_missing_relative_snapshot_path_is_named_resolved(tmp_path):
    done = playbook(
        tmp_path, {"all": {"hosts": {}}}, "-e", "snapshot_path=no/such/dump", "-e", "report_dir=%s" % tmp_path
    )
    assert done.returncode == 4
    assert "src %s does not exist" % os.path.join(ROOT, "no", "such", "dump") in done.stdout


def test_a_host_named_dot_dot_slash_writes_inside_report_dir(tmp_path):
    reports = tmp_path / "deep" / "reports"
    inventory = {"all": {"hosts": {"../x": {"snapshot_path": EXAMPLE}}}}
    done = playbook(tmp_path, inventory, "-e", "report_dir=%s" % reports, "-e", "diagnose_hosts=all")
    assert done.returncode == 0, done.stdout[-3000:]
    assert file_stem("../x") == "_._x"
    assert sorted(os.listdir(reports)) == [
        "_._x.json",
        "_._x.md",
        "fleet.html",
        "fleet.json",
        "junit.xml",
        "sidecar_injection.prom",
    ]
    assert sorted(os.listdir(tmp_path / "deep")) == ["reports"]
