"""fleet.html in a real headless browser (Debian's chromium through chromium-driver): it loads from
a file with no external requests, the tables are there, the filters hide what they should."""

from __future__ import annotations

import os

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import html
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import ClusterEntry, roll_up
from tests.unit.plugins.module_utils.report_docs import PROD, STAGING

from .browser_checks import choose, chrome, shown, visible_rows  # noqa: F401 - chrome is a fixture

ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "output", "reports")
GONE = "Cannot connect to https://127.0.0.1:1: connection refused"


def test_tables_filters_and_details(chrome, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    entries = [
        ClusterEntry("prod", document=PROD, report="prod.json"),
        ClusterEntry("staging", document=STAGING),
        ClusterEntry("gone", error=GONE),
    ]
    page = tmp_path / "fleet.html"
    page.write_text(html.render(roll_up(entries, fail_on="error", generated="2026-12-02T08:00:00Z"), entries))
    chrome.get(page.as_uri())
    assert chrome.title == "Sidecar injection: fleet report"
    fleet_rows = chrome.find_elements(By.CSS_SELECTOR, "#fleet tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in fleet_rows] == ["prod", "staging", "gone"]
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in fleet_rows] == [
        "gate breached",
        "passed",
        "not diagnosed",
    ]
    assert chrome.find_element(By.CSS_SELECTOR, "#not-diagnosed tbody td:nth-child(2)").text == GONE
    causes = chrome.find_elements(By.CSS_SELECTOR, "#root-causes tbody tr")
    assert [c.find_element(By.TAG_NAME, "code").text for c in causes] == ["SI404", "SI303"]
    assert shown(chrome) == 3

    choose(chrome, "f-severity", "warning")
    assert shown(chrome) == 2
    assert {r.get_attribute("data-code") for r in visible_rows(chrome, "tr.finding")} == {"SI604"}
    choose(chrome, "f-cluster", "prod")
    assert shown(chrome) == 1
    assert [r.get_attribute("data-cluster") for r in visible_rows(chrome, "tr.cluster-row")] == ["prod"]
    choose(chrome, "f-severity", "")
    choose(chrome, "f-namespace", "shop")
    assert [r.get_attribute("data-code") for r in visible_rows(chrome, "tr.finding")] == ["SI404"]

    # the evidence and the fix open under the finding, escaped
    details = chrome.find_element(By.CSS_SELECTOR, "#findings-prod details")
    details.find_element(By.TAG_NAME, "summary").click()
    assert "<b>x</b>" in details.text
    assert (
        details.find_element(By.CSS_SELECTOR, "pre.fix").text
        == "kubectl rollout restart deployment/istiod -n istio-system"
    )
    os.makedirs(ARTIFACTS, exist_ok=True)
    assert chrome.save_screenshot(os.path.join(ARTIFACTS, "fleet-hand-made.png"))
