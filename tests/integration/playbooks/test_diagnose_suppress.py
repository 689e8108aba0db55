"""The diagnose role's `diagnose_suppress`: suppressing every error code (as comma-separated text, a
survey answer) lets an error gate pass, and the report lists what was suppressed and why."""

from __future__ import annotations

import json

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    run,
)

from ..reports import validate
from .test_diagnose_playbook import EXAMPLE, playbook


def test_suppressed_errors_leave_the_gate_and_are_listed(tmp_path):
    params = {name: spec.get("default") for name, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    params.update(src=EXAMPLE, cluster_name="demo")
    direct = run(params)
    errors = sorted({f["code"] for f in direct["findings"] if f["severity"] == "error"})
    assert errors  # the example plants errors (examples/README.md)
    reports = tmp_path / "reports"
    result = playbook(
        tmp_path,
        {"all": {"hosts": {"demo": {"snapshot_path": EXAMPLE}}}},
        "-e",
        "report_dir=%s" % reports,
        "-e",
        "diagnose_fail_on=error",
        "-e",
        "diagnose_suppress=%s" % ",".join(errors),  # key=value extra vars split on spaces,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((reports / "demo.json").read_text())
    assert report["summary"]["severities"]["error"] == 0
    hidden = [f for f in report["suppressed"] if f["severity"] == "error"]
    assert len(hidden) == direct["summary"]["severities"]["error"]
    assert {f["suppressed_by"]["source"] for f in report["suppressed"]} == {"option"}
    assert {f["suppressed_by"]["rule"] for f in hidden} == set(errors)
    assert report["summary"]["suppressed"] == len(report["suppressed"])
    assert validate.report_errors(report) == []  # docs/schemas/report.schema.json: `suppressed` entries
