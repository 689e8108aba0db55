# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One kubesim seeded once with examples/istio-broken; each test sets only its fault policy."""

from __future__ import annotations

import glob
import os

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(scope="module")
def seeded():
    kubesim = pytest.importorskip("tests.kubesim")
    sim = kubesim.KubeSim().start()
    sim.seed(*sorted(glob.glob(os.path.join(REPO, "examples", "istio-broken", "*.yaml"))))
    yield sim
    sim.stop()


@pytest.fixture
def sim(seeded):
    """The seeded kubesim with no policy and an empty request log."""
    seeded.set_policy(None)
    seeded.clear_requests()
    yield seeded
    seeded.set_policy(None)
