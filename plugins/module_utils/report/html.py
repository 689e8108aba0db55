# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`fleet.html`: one self-contained page for people, a view over the fleet document and the reports.

No external assets (styles and the filter script are inline; it opens from a file, an artifact
store or a mail attachment alike). The fleet table, the clusters not diagnosed, the top root causes,
the certificates expiring soonest and the namespaces needing restarts, then one section per cluster
with every finding, its evidence, what it affects and its fix. Filters by severity, code, cluster and
namespace hide the finding rows that do not match (and the fleet rows of other clusters); the count
of shown findings is kept in `#shown`. Every text is HTML-escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, Dict, Iterable, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import SEVERITIES, severity_rank
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import describe_object
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import ClusterEntry

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#1d2330;background:#fafbfc}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:1.6rem 0 .5rem}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.4rem 0 1rem}
th,td{border:1px solid #d8dde6;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#eef1f6}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem}
pre{background:#f3f5f9;padding:.4rem;white-space:pre-wrap;margin:.3rem 0}
.sev{font-weight:600;padding:.05rem .35rem;border-radius:.25rem;color:#fff}
.sev-error{background:#c62828}.sev-warning{background:#b26a00}.sev-info{background:#3d6ea8}
.st-passed{color:#1b7f3b;font-weight:600}.st-gate_breached{color:#c62828;font-weight:600}
.st-not_diagnosed{color:#6a1b9a;font-weight:600}
.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:end;background:#fff;border:1px solid #d8dde6;
  padding:.6rem;margin:.8rem 0}
.filters label{display:flex;flex-direction:column;font-size:.8rem}.muted{color:#5b6475}
details summary{cursor:pointer}
"""

SCRIPT = """
(function(){
  var ids=['severity','code','cluster','namespace'];
  function value(id){return document.getElementById('f-'+id).value;}
  function apply(){
    var want={};ids.forEach(function(id){want[id]=value(id);});
    var shown=0;
    document.querySelectorAll('tr.finding').forEach(function(row){
      var ok=ids.every(function(id){
        if(!want[id]){return true;}
        return (' '+row.getAttribute('data-'+id)+' ').indexOf(' '+want[id]+' ')>=0;
      });
      row.style.display=ok?'':'none';
      var next=row.nextElementSibling;
      if(next&&next.classList.contains('detail')){next.style.display=ok?'':'none';}
      if(ok){shown++;}
    });
    document.querySelectorAll('tr.cluster-row').forEach(function(row){
      row.style.display=(!want.cluster||row.getAttribute('data-cluster')===want.cluster)?'':'none';
    });
    document.querySelectorAll('section.cluster').forEach(function(sec){
      sec.style.display=(!want.cluster||sec.getAttribute('data-cluster')===want.cluster)?'':'none';
    });
    document.getElementById('shown').textContent=String(shown);
  }
  ids.forEach(function(id){document.getElementById('f-'+id).addEventListener('change',apply);});
  apply();
})();
"""


def e(value: Any) -> str:
    return escape(value if isinstance(value, str) else json.dumps(value, sort_keys=True), quote=True)


def _table(header: Iterable[str], rows: List[str], table_id: str) -> str:
    head = "".join("<th>%s</th>" % e(h) for h in header)
    return '<table id="%s"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (table_id, head, "".join(rows))


def _sev(severity: str) -> str:
    return '<span class="sev sev-%s">%s</span>' % (e(severity), e(severity))


def finding_namespaces(finding: Dict[str, Any]) -> List[str]:
    """The namespaces a finding is in or affects (the namespace filter matches any of them)."""
    out = []
    if finding.get("namespace"):
        out.append(finding["namespace"])
    if finding.get("kind") == "Namespace" and finding.get("name"):
        out.append(finding["name"])
    for ref in finding.get("affects") or []:
        ns = ref.get("name") if ref.get("kind") == "Namespace" else ref.get("namespace")
        if ns:
            out.append(ns)
    return sorted(set(out))


def _select(name: str, label: str, values: Iterable[str]) -> str:
    options = '<option value="">all</option>' + "".join('<option value="%s">%s</option>' % (e(v), e(v)) for v in values)
    return '<label>%s<select id="f-%s" name="%s">%s</select></label>' % (e(label), name, name, options)


def _fleet_rows(fleet: Dict[str, Any]) -> List[str]:
    rows = []
    for c in fleet["clusters"]:
        sev = c.get("severities") or {}
        pods = c.get("pods") or {}
        rows.append(
            '<tr class="cluster-row" data-cluster="%s"><td><a href="#cluster-%s">%s</a></td><td class="st-%s">%s</td>'
            "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
            % (
                e(c["name"]),
                e(c["name"]),
                e(c["name"]),
                e(c["status"]),
                e(c["status"].replace("_", " ")),
                sev.get("error", "") if c["status"] != "not_diagnosed" else "",
                sev.get("warning", "") if c["status"] != "not_diagnosed" else "",
                sev.get("info", "") if c["status"] != "not_diagnosed" else "",
                e(pods.get("missing", "")) if pods else "",
                e(", ".join(c.get("meshes") or [])),
                e(c.get("platform") or ""),
                e(c.get("error") or c["gate"].get("message") or ""),
            )
        )
    return rows


def _finding_rows(cluster: str, findings: List[Dict[str, Any]]) -> List[str]:
    rows = []
    for f in findings:
        evidence = "".join(
            "<li><code>%s</code> <code>%s</code>: %s</li>" % (e(i.get("object")), e(i.get("field")), e(i.get("value")))
            for i in f.get("evidence") or []
        )
        affects = ", ".join(
            e(
                "%s %s/%s" % (r.get("kind"), r.get("namespace"), r.get("name"))
                if r.get("namespace")
                else "%s %s" % (r.get("kind"), r.get("name"))
            )
            for r in f.get("affects") or []
        )
        remediation = f.get("remediation") or {}
        risk = (f.get("plan") or {}).get("risk")
        steps = "\n".join(str(s) for s in remediation.get("steps") or [])
        rows.append(
            '<tr class="finding" data-severity="%s" data-code="%s" data-cluster="%s" data-namespace="%s">'
            "<td>%s</td><td><code>%s</code> %s</td><td>%s</td><td>%s</td></tr>"
            % (
                e(f.get("severity")),
                e(f.get("code")),
                e(cluster),
                e(" ".join(finding_namespaces(f))),
                _sev(f.get("severity") or "info"),
                e(f.get("code")),
                e(f.get("slug")),
                e(describe_object(f)),
                e(" ".join(str(f.get("message") or "").split())),
            )
        )
        rows.append(
            '<tr class="detail"><td></td><td colspan="3"><details><summary>evidence and fix</summary>'
            "<p><b>Evidence</b></p><ul>%s</ul><p><b>Affects</b>: %s</p>"
            '<p><b>Fix</b>: <code>%s</code>%s</p><pre class="fix">%s</pre><p class="muted">%s</p></details></td></tr>'
            % (
                evidence or "<li>none</li>",
                affects or "nothing named",
                e(remediation.get("action") or "manual"),
                " (risk %s)" % e(risk) if risk else "",
                e(steps),
                e(f.get("docs") or ""),
            )
        )
    return rows


def _cluster_section(item: ClusterEntry, row: Dict[str, Any]) -> str:
    parts = ['<section class="cluster" id="cluster-%s" data-cluster="%s">' % (e(item.name), e(item.name))]
    parts.append(
        '<h2>%s <span class="st-%s">%s</span></h2>'
        % (e(item.name), e(row["status"]), e(row["status"].replace("_", " ")))
    )
    if item.document is None:
        parts.append('<p class="not-diagnosed">Not diagnosed: %s</p></section>' % e(item.error))
        return "".join(parts)
    doc = item.document
    summary = doc.get("summary") or {}
    cluster = doc.get("cluster") or {}
    pods = summary.get("pods") or {}
    parts.append(
        '<p class="muted">%s %s · %s · Kubernetes %s · %s · '
        "pods: %d checked, %d should carry a sidecar, %d missing one%s</p>"
        % (
            e(cluster.get("source") or ""),
            e(cluster.get("server") or cluster.get("path") or ""),
            e(summary.get("platform") or "platform unknown"),
            e(summary.get("kubernetes_version") or "unknown"),
            e(", ".join(row.get("meshes") or []) or "no mesh detected"),
            int(pods.get("total", 0)),
            int(pods.get("should_inject", 0)),
            int(pods.get("missing", 0)),
            ' · report <a href="%s">%s</a>' % (e(item.report), e(item.report)) if item.report else "",
        )
    )
    findings = doc.get("findings") or []
    if findings:
        parts.append(
            _table(
                ["severity", "code", "object", "message"],
                _finding_rows(item.name, findings),
                "findings-%s" % e(item.name),
            )
        )
    else:
        parts.append("<p>No findings.</p>")
    gaps = summary.get("gaps") or []
    if gaps:
        parts.append(
            "<p><b>Not read</b>: %s</p>"
            % e("; ".join("%s (%s): %s" % (g.get("resource"), g.get("reason"), g.get("message")) for g in gaps))
        )
    parts.append("</section>")
    return "".join(parts)


def render(fleet: Dict[str, Any], entries: List[ClusterEntry]) -> str:
    findings = [(item.name, f) for item in entries for f in (item.document or {}).get("findings") or []]
    codes = sorted({f["code"] for _c, f in findings})
    namespaces = sorted({ns for _c, f in findings for ns in finding_namespaces(f)})
    severities = sorted(SEVERITIES, key=severity_rank, reverse=True)
    totals = fleet["totals"]
    by_name = {c["name"]: c for c in fleet["clusters"]}
    body = [
        "<h1>Sidecar injection: fleet report</h1>",
        '<p class="muted">generated %s · gate fail_on %s · outcome <span id="outcome" class="st-%s">%s</span> · '
        "%d clusters, %d diagnosed, %d not diagnosed, %d over the gate</p>"
        % (
            e(fleet.get("generated") or ""),
            e(fleet["fail_on"]),
            e(fleet["outcome"]),
            e(fleet["outcome"].replace("_", " ")),
            totals["clusters"],
            totals["diagnosed"],
            totals["not_diagnosed"],
            totals["gate_breached"],
        ),
        '<div class="filters">%s%s%s%s<span>findings shown: <b id="shown">%d</b> of %d</span></div>'
        % (
            _select("severity", "severity", severities),
            _select("code", "code", codes),
            _select("cluster", "cluster", [item.name for item in entries]),
            _select("namespace", "namespace", namespaces),
            len(findings),
            len(findings),
        ),
        "<h2>Clusters</h2>",
        _table(
            [
                "cluster",
                "status",
                "error",
                "warning",
                "info",
                "pods missing a sidecar",
                "meshes",
                "platform",
                "gate / error",
            ],
            _fleet_rows(fleet),
            "fleet",
        ),
    ]
    if fleet["not_diagnosed"]:
        body.append("<h2>Not diagnosed</h2>")
        body.append(
            _table(
                ["cluster", "why"],
                ["<tr><td>%s</td><td>%s</td></tr>" % (e(r["name"]), e(r["error"])) for r in fleet["not_diagnosed"]],
                "not-diagnosed",
            )
        )
    body.append("<h2>Top root causes</h2>")
    if fleet["top_root_causes"]:
        body.append(
            '<p class="muted">from %s</p>'
            % e(
                "the per-workload answers"
                if fleet["root_causes_from"] == "workloads"
                else "the workloads findings affect"
            )
        )
        body.append(
            _table(
                ["code", "what", "workloads", "clusters", "for example"],
                [
                    "<tr><td><code>%s</code> %s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>"
                    % (
                        e(c["code"]),
                        e(c["slug"]),
                        e(c["when"]),
                        c["workloads"],
                        e(", ".join(c["clusters"])),
                        e("; ".join("%s: %s" % (x["cluster"], x["workload"]) for x in c["examples"])),
                    )
                    for c in fleet["top_root_causes"]
                ],
                "root-causes",
            )
        )
    else:
        body.append("<p>No workload is blocked.</p>")
    if fleet["certificates"]:
        body.append("<h2>Certificates expiring soonest</h2>")
        body.append(
            _table(
                ["cluster", "object", "role", "subject", "not after", "days left"],
                [
                    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>"
                    % (
                        e(c["cluster"]),
                        e(c["object"]),
                        e(c["role"]),
                        e(c["subject"]),
                        e(c["not_after"]),
                        c["seconds_left"] // 86400,
                    )
                    for c in fleet["certificates"]
                ],
                "certificates",
            )
        )
    body.append("<h2>Namespaces needing restarts</h2>")
    if fleet["restarts"]:
        body.append(
            _table(
                ["cluster", "namespace", "workloads to restart"],
                [
                    "<tr><td>%s</td><td>%s</td><td>%s</td></tr>"
                    % (e(r["cluster"]), e(r["namespace"]), e(", ".join(r["workloads"])))
                    for r in fleet["restarts"]
                ],
                "restarts",
            )
        )
    else:
        body.append("<p>None.</p>")
    for item in entries:
        body.append(_cluster_section(item, by_name[item.name]))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Sidecar injection: fleet report</title><style>%s</style></head>"
        "<body>%s<script>%s</script></body></html>\n" % (STYLE, "".join(body), SCRIPT)
    )
