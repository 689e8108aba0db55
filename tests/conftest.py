"""Shared pytest configuration for the collection's tests."""

pytest_plugins = ["tests.kubesim.pytest_plugin"]
