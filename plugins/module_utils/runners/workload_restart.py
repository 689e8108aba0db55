# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the workload_restart module does: rollout restarts of the workloads whose pods need it
(SI604, SI605, or named in `workloads`), in batches proven by readiness and the proxy, refusing a
workload whose next pod would not be injected (remediation/restarts.py)."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import backup, restarts
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import (
    clean,
    describe_api_error,
    dump_yaml,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import (
    RemediationError,
    Session,
    argument_spec,
)

ARGUMENT_SPEC = argument_spec(
    {
        "workloads": {
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "kind": {"type": "str", "default": "Deployment", "choices": list(restarts.RESTARTABLE)},
                "namespace": {"type": "str", "required": True},
                "name": {"type": "str", "required": True},
            },
        },
        "report": {"type": "dict"},
        "batch_size": {"type": "int", "default": 1},
        "pause_seconds": {"type": "float", "default": 0},
        "max_unavailable": {"type": "int", "default": 0},
        "timeout": {"type": "int", "default": 300},
        "allow_restart": {"type": "bool", "default": False},
    }
)
OPT_IN = "restarts roll pods; set allow_restart: true (playbooks: remediate_restart_workloads) to allow them"


def _iso(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def run(
    params: Dict[str, Any],
    check_mode: bool = False,
    debug: Optional[Callable[[str], None]] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Dict[str, Any]:
    for name in ("batch_size", "timeout"):
        if params.get(name) is not None and params[name] < 1:
            raise RemediationError("%s must be 1 or more, got %s" % (name, params[name]))
    if (params.get("max_unavailable") or 0) < 0 or (params.get("pause_seconds") or 0) < 0:
        raise RemediationError("max_unavailable and pause_seconds must be zero or more")
    found = restarts.candidates(params.get("findings") or [], params.get("report"))
    for item in params.get("workloads") or []:
        ref = ObjectRef(item.get("kind") or "Deployment", item["name"], item["namespace"])
        if all(c.ref != ref for c in found):
            found.append(restarts.Candidate(ref, codes=["requested"]))
    bad = [c.ref.text() for c in found if c.ref.kind not in restarts.RESTARTABLE]
    if bad:
        raise RemediationError(
            "cannot rollout-restart %s (only %s)" % (", ".join(bad), ", ".join(restarts.RESTARTABLE))
        )
    result: Dict[str, Any] = {
        "changed": False,
        "plan": [],
        "changed_objects": [],
        "blocked": [],
        "batches": [],
        "backups": {"dir": None, "files": [], "manifest": None},
        "verification": {"objects": [], "findings": [], "ok": None},
        "diff": [],
    }
    if not found:
        return result
    if not params.get("allow_restart"):
        raise RemediationError(OPT_IN, plan=[{"object": c.ref.as_dict(), "status": "needs_opt_in"} for c in found])
    session = Session(params, debug=debug)
    try:
        return _run(session, params, found, result, check_mode, sleep)
    finally:
        session.close()


def _run(session: Session, params: Dict[str, Any], found: List[restarts.Candidate], result: Dict[str, Any],
         check_mode: bool, sleep: Callable[[float], None]) -> Dict[str, Any]:  # fmt: skip
    writer = session.writer
    todo = []
    for cand in found:
        try:
            live = writer.read(cand.ref)
        except ApiError as exc:
            raise RemediationError(describe_api_error(cand.ref, exc, "read")) from None
        entry: Dict[str, Any] = {"object": cand.ref.as_dict(), "codes": cand.codes}
        if live is None:
            raise RemediationError("%s does not exist." % cand.ref.text())
        existing = {"%s/%s" % (cand.ref.namespace, p["metadata"]["name"]) for p in restarts.pods_of(writer, live)}
        if cand.pods and not existing & set(cand.pods):
            entry.update(status="unchanged", message="the pods the diagnosis judged were replaced already")
            result["plan"].append(entry)
            continue
        blocker = cand.blocker
        if not blocker:
            injected, said = restarts.admission_preview(writer, live)
            entry["admission"] = said
            blocker = "" if injected else said
        if blocker:
            entry.update(status="blocked", message="not restarted: %s; fix the root cause first" % blocker)
            result["plan"].append(entry)
            result["blocked"].append(dict(object=cand.ref.as_dict(), why=blocker))
            continue
        entry["status"] = "would_change"
        result["plan"].append(entry)
        todo.append((cand, live, entry))
    if not todo:
        return result
    stamp = _iso(time.time())
    for cand, live, _entry in todo:
        after = restarts.applied_restart(live, stamp)
        result["diff"].append({"before_header": cand.ref.text(), "after_header": cand.ref.text(),
                               "before": dump_yaml(clean(live)), "after": dump_yaml(clean(after))})  # fmt: skip
    result["changed"] = True
    result["changed_objects"] = [c.ref.as_dict() for c, _l, _e in todo]
    if check_mode:
        return result
    if params.get("backup_dir"):
        items = [{"ref": c.ref, "before": live, "pointers": [restarts.RESTARTED_POINTER]} for c, live, _e in todo]
        try:
            entries = backup.write_objects(params["backup_dir"], items, "workload_restart")
        except backup.BackupError as exc:
            raise RemediationError("%s Nothing was restarted." % exc) from None
        for (_c, _l, entry), item in zip(todo, entries):
            entry["backup"] = item["file"]
        result["backups"] = {"dir": params["backup_dir"], "files": [e["file"] for e in entries],
                             "manifest": backup.MANIFEST}  # fmt: skip
    failure = None
    groups = restarts.batches(todo, params.get("batch_size") or 1)
    for number, group in enumerate(groups, 1):
        if failure is not None:
            for _c, _l, entry in group:
                entry["status"] = "not_attempted"
            continue
        started = []
        for cand, live, entry in group:
            try:
                writer.json_patch(cand.ref, restarts.restart_patch(live, stamp))
            except ApiError as exc:
                entry.update(status="failed", message=describe_api_error(cand.ref, exc))
                failure = entry["message"]
                continue
            entry["status"] = "applied"
            started.append(cand.ref)
        state = restarts.wait_batch(writer, started, stamp, params.get("timeout") or 300, sleep=sleep)
        failed = [name for name, s in state.items() if not s["ok"]]
        ok = len(failed) <= (params.get("max_unavailable") or 0) and failure is None
        result["batches"].append({"batch": number, "workloads": state, "ok": ok})
        result["verification"]["objects"].extend(
            dict(s, object=name, checked=["rolled_out", "proxy"]) for name, s in state.items()
        )
        if failure is None and len(failed) > (params.get("max_unavailable") or 0):
            failure = "batch %d did not finish within %ss: %s (not rolled out, or new pods without the proxy)" % (
                number, params.get("timeout"), ", ".join(failed))  # fmt: skip
        if failure is None and number < len(groups) and params.get("pause_seconds"):
            sleep(float(params["pause_seconds"]))
    result["verification"]["ok"] = failure is None and all(o["ok"] for o in result["verification"]["objects"])
    if failure is not None:
        result["changed_objects"] = [e["object"] for _c, _l, e in todo if e["status"] == "applied"]
        result["changed"] = bool(result["changed_objects"])
        raise RemediationError(failure, **result)
    return result
