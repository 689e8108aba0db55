# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the snapshot integration tests: one kubesim for the session, reset before each test."""

from __future__ import annotations

import glob
import os
import socket

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def example_files(name):
    return sorted(glob.glob(os.path.join(REPO, "examples", name, "*.yaml")))


@pytest.fixture(scope="session")
def kubesim_server():
    kubesim = pytest.importorskip("tests.kubesim")
    sim = kubesim.KubeSim().start()
    yield sim
    sim.stop()


@pytest.fixture
def sim(kubesim_server):
    """The running kubesim with an empty (baseline) store, no policy and an empty request log."""
    kubesim_server.reset()
    yield kubesim_server
    kubesim_server.reset()


@pytest.fixture
def closed_port():
    """A localhost port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
