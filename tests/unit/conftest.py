"""Markers of the unit suite, registered here so they also exist under `ansible-test units`."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "conformance: reads the upstream test data under ../shared/conformance")
