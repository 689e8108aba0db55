# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`sidecar_injection.prom`: the fleet in Prometheus text exposition format (version 0.0.4).

For node-exporter's textfile collector (drop the file in its directory) or a Pushgateway
(`curl --data-binary @sidecar_injection.prom .../metrics/job/sidecar_injection`). No timestamps on
samples (neither consumer accepts them); the run time is a metric of its own. Certificate expiry is
exported as seconds left at diagnosis time and as the absolute NotAfter, so an alert can use
`meshops_sidecar_injection_certificate_not_after_timestamp_seconds - time() < 30 * 86400` and stay
right between runs.
"""

from __future__ import annotations

import calendar
import time
from typing import Any, Dict, List, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import SEVERITIES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import (
    ClusterEntry,
    lacking_sidecar,
)

PREFIX = "meshops_sidecar_injection_"

# name: (type, help)
METRICS: Dict[str, Tuple[str, str]] = {
    "cluster_diagnosed": ("gauge", "1 when the cluster was diagnosed in this run, 0 when it could not be."),
    "findings": ("gauge", "Findings by cluster, code and severity."),
    "pods_without_sidecar": ("gauge", "Running pods that should carry a sidecar and do not, by namespace."),
    "workloads_without_sidecar": ("gauge", "Workloads that want a sidecar and run pods without one, by namespace."),
    "certificate_expiry_seconds": (
        "gauge",
        "Seconds from the diagnosis until the certificate's NotAfter (negative: expired).",
    ),
    "certificate_not_after_timestamp_seconds": ("gauge", "The certificate's NotAfter as a Unix timestamp."),
    "last_run_timestamp_seconds": ("gauge", "When this report was written, as a Unix timestamp."),
}


def epoch(iso: str) -> int:
    """Unix seconds of the report's UTC timestamps (2025-06-01T00:00:00Z)."""
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def escape_label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample(name: str, labels: Dict[str, Any], value: float) -> str:
    text = ",".join('%s="%s"' % (k, escape_label(v)) for k, v in labels.items())
    number = repr(float(value)) if isinstance(value, float) and value != int(value) else str(int(value))
    return "%s%s{%s} %s" % (PREFIX, name, text, number) if text else "%s%s %s" % (PREFIX, name, number)


def _samples(entries: List[ClusterEntry], generated_epoch: float) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {name: [] for name in METRICS}
    for item in entries:
        out["cluster_diagnosed"].append(sample("cluster_diagnosed", {"cluster": item.name}, 1 if item.diagnosed else 0))
        if item.document is None:
            continue
        doc = item.document
        counts: Dict[Tuple[str, str], int] = {}
        for finding in doc.get("findings") or []:
            key = (finding["code"], finding["severity"])
            counts[key] = counts.get(key, 0) + 1
        for (code, severity), n in sorted(counts.items()):
            out["findings"].append(sample("findings", {"cluster": item.name, "code": code, "severity": severity}, n))
        if not counts:  # a zero sample per severity keeps "no findings" distinguishable from "no data"
            for severity in SEVERITIES:
                out["findings"].append(sample("findings", {"cluster": item.name, "code": "", "severity": severity}, 0))
        pods: Dict[Tuple[str, str], int] = {}
        for verdict in doc.get("verdicts") or []:
            if verdict.get("kind") == "Pod" and verdict.get("should_inject") and verdict.get("injected") is False:
                key = (verdict.get("namespace") or "", verdict.get("mesh") or "")
                pods[key] = pods.get(key, 0) + 1
        for (ns, mesh), n in sorted(pods.items()):
            out["pods_without_sidecar"].append(
                sample("pods_without_sidecar", {"cluster": item.name, "namespace": ns, "mesh": mesh}, n)
            )
        if "workloads" in doc:
            workloads: Dict[Tuple[str, str], int] = {}
            for w in lacking_sidecar(doc):
                key = ((w.get("ref") or {}).get("namespace") or "", (w.get("intent") or {}).get("mesh") or "")
                workloads[key] = workloads.get(key, 0) + 1
            for (ns, mesh), n in sorted(workloads.items()):
                out["workloads_without_sidecar"].append(
                    sample("workloads_without_sidecar", {"cluster": item.name, "namespace": ns, "mesh": mesh}, n)
                )
        for cert in (doc.get("summary") or {}).get("certificates") or []:
            labels = {
                "cluster": item.name,
                "mesh": cert["mesh"],
                "role": cert["role"],
                "object": cert["object"],
                "field": cert["field"],
                "subject": cert["subject"],
            }
            out["certificate_expiry_seconds"].append(sample("certificate_expiry_seconds", labels, cert["seconds_left"]))
            out["certificate_not_after_timestamp_seconds"].append(
                sample("certificate_not_after_timestamp_seconds", labels, epoch(cert["not_after"]))
            )
    out["last_run_timestamp_seconds"].append(sample("last_run_timestamp_seconds", {}, int(generated_epoch)))
    return out


def render(entries: List[ClusterEntry], generated_epoch: float) -> str:
    """The exposition text. `generated_epoch`: the run's time (Unix seconds)."""
    lines: List[str] = []
    for name, samples in _samples(entries, generated_epoch).items():
        kind, text = METRICS[name]
        lines.append("# HELP %s%s %s" % (PREFIX, name, text))
        lines.append("# TYPE %s%s %s" % (PREFIX, name, kind))
        lines.extend(samples)
    return "\n".join(lines) + "\n"
