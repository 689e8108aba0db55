"""The renderers are views over the report documents: Markdown, HTML, JUnit, SARIF, Prometheus.
Structure and exact content here; validation against the published schemas, the XSD, the SARIF
schema, the Prometheus parser and a real browser in tests/integration/reports."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import (
    html,
    junit,
    markdown,
    prometheus,
    sarif,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import ClusterEntry, roll_up
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry

from .report_docs import PROD, STAGING

GONE = "Cannot connect to https://127.0.0.1:1: connection refused"


def entries():
    return [
        ClusterEntry("prod", document=PROD, report="prod.json"),
        ClusterEntry("staging", document=STAGING),
        ClusterEntry("gone", error=GONE),
    ]


def test_markdown_has_the_table_every_finding_with_evidence_and_fix_and_the_workloads():
    text = markdown.render(PROD)
    assert text.startswith("# Sidecar injection report: prod\n")
    assert "| findings | 1 error, 1 warning, 0 info |" in text
    assert (
        "| error | SI404 | MutatingWebhookConfiguration istio-sidecar-injector | "
        "caBundle <does not> verify istiod's certificate |" in text
    )
    section = text.split("### SI404 cabundle-mismatch: MutatingWebhookConfiguration istio-sidecar-injector\n")[1].split(
        "### "
    )[0]
    assert section.splitlines()[:9] == [
        "",
        "**ERROR** (istio). caBundle <does not> verify istiod's certificate",
        "",
        "Evidence:",
        "",
        "- `MutatingWebhookConfiguration istio-sidecar-injector` `webhooks[0].clientConfig.caBundle`: <b>x</b>",
        "",
        "Affects: Namespace shop, Deployment shop/cart, Deployment shop/web",
        "",
    ]
    assert "```sh\nkubectl rollout restart deployment/istiod -n istio-system\n```" in section
    assert "| Deployment shop/cart | istio 1-22 | 0/2 | rejected | SI404 | no |" in text
    assert "| Deployment billing/invoices | istio 1-22 | 0/2 | injected |   | yes |" in text
    assert (
        "| shop/cart-1 | istio | namespace label istio-injection=enabled matches; pod carries no mesh proxy |" in text
    )


def test_junit_one_suite_per_cluster_one_case_per_check_failures_at_the_gate():
    root = ET.fromstring(junit.render(entries(), "error", "2026-12-02T08:00:00"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["prod", "staging", "gone"]
    prod = suites[0]
    cases = prod.findall("testcase")
    assert len(cases) == len(registry.RULES) == int(prod.get("tests"))
    failed = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("name"), c.find("failure").get("type")) for c in failed] == [("cabundle_mismatch", "SI404")]
    assert failed[0].get("classname") == "meshops.sidecar_injection.prod.certificates"
    assert failed[0].find("failure").get("message") == "1 finding at error or worse"
    assert "caBundle <does not> verify" in failed[0].find("failure").text
    below = [c for c in cases if c.find("system-out") is not None]
    assert [c.get("name") for c in below] == ["pod_predates_injection"]
    assert prod.get("failures") == "1" and prod.get("errors") == "0"
    assert suites[1].get("failures") == "0"
    gone = suites[2].findall("testcase")
    assert len(gone) == 1 and gone[0].find("error").get("type") == "not_diagnosed"
    assert gone[0].find("error").get("message") == GONE
    assert root.get("tests") == str(2 * len(registry.RULES) + 1)
    assert (root.get("failures"), root.get("errors")) == ("1", "1")


def test_junit_with_the_gate_off_fails_nothing_and_lists_everything():
    root = ET.fromstring(junit.render(entries()[:1], "never", "2026-12-02T08:00:00"))
    assert root.get("failures") == "0"
    assert len(root.findall(".//system-out")) == 2


def test_prometheus_samples():
    text = prometheus.render(entries(), 1796198400.0)
    lines = text.splitlines()
    for line in (
        'meshops_sidecar_injection_cluster_diagnosed{cluster="prod"} 1',
        'meshops_sidecar_injection_cluster_diagnosed{cluster="gone"} 0',
        'meshops_sidecar_injection_findings{cluster="prod",code="SI404",severity="error"} 1',
        'meshops_sidecar_injection_findings{cluster="staging",code="SI604",severity="warning"} 1',
        'meshops_sidecar_injection_pods_without_sidecar{cluster="prod",namespace="shop",mesh="istio"} 1',
        'meshops_sidecar_injection_workloads_without_sidecar{cluster="prod",namespace="billing",mesh="istio"} 1',
        'meshops_sidecar_injection_workloads_without_sidecar{cluster="prod",namespace="shop",mesh="istio"} 2',
        'meshops_sidecar_injection_certificate_expiry_seconds{cluster="staging",mesh="istio",'
        'role="Istio plugged-in CA",object="Secret istio-system/cacerts",'
        'field="webhooks[].clientConfig.caBundle[0]",subject="CN=Root CA,O=cluster.local"} -86400',
        'meshops_sidecar_injection_certificate_not_after_timestamp_seconds{cluster="prod",mesh="istio",'
        'role="webhook caBundle",object="MutatingWebhookConfiguration istio-sidecar-injector",'
        'field="webhooks[].clientConfig.caBundle[0]",subject="CN=Root CA,O=cluster.local"} 1799539200',
        "meshops_sidecar_injection_last_run_timestamp_seconds 1796198400",
        "# TYPE meshops_sidecar_injection_findings gauge",
    ):
        assert line in lines, line
    assert len([n for n in lines if n.startswith("# TYPE")]) == len(prometheus.METRICS)
    assert prometheus.escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_sarif_points_at_the_manifest_line_of_the_object():
    doc = json.loads(json.dumps(PROD))
    doc["summary"]["manifests"] = [
        {"file": "rendered/shop.yaml", "line": 12, "kind": "Deployment", "namespace": "shop", "name": "cart"}
    ]
    log = sarif.render([ClusterEntry("prod", document=doc), ClusterEntry("gone", error=GONE)], "0.1.0")
    assert log["version"] == "2.1.0"
    run, failed = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["SI404", "SI604"]
    first, second = run["results"]
    assert first["ruleId"] == "SI404" and first["level"] == "error" and first["ruleIndex"] == 0
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "rendered/shop.yaml"},
        "region": {"startLine": 12},
    }
    assert "physicalLocation" not in second["locations"][0] and second["level"] == "warning"
    assert second["locations"][0]["logicalLocations"] == [{"name": "Deployment billing/invoices", "kind": "resource"}]
    assert failed["invocations"][0]["executionSuccessful"] is False
    assert failed["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] == GONE


def test_html_is_self_contained_escaped_and_has_the_filters():
    page = html.render(roll_up(entries(), fail_on="error", generated="2026-12-02T08:00:00Z"), entries())
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert "caBundle &lt;does not&gt; verify" in page and "<does not>" not in page
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    for select in ("f-severity", "f-code", "f-cluster", "f-namespace"):
        assert 'id="%s"' % select in page
    assert page.count('<tr class="finding"') == 3
    assert (
        '<tr class="finding" data-severity="error" data-code="SI404" data-cluster="prod" data-namespace="shop">' in page
    )
    assert '<p class="not-diagnosed">Not diagnosed: %s</p>' % GONE in page
