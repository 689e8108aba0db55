"""pytest fixtures for kubesim. Registered in tests/conftest.py (`pytest_plugins = ["tests.kubesim.pytest_plugin"]`).

- `kubesim_session` (session): one server for the whole run.
- `kubesim` (function): that server, reset (store, policy, request log) before the test. The cheap default.
- `kubesim_factory` (function): `make(**KubeSim kwargs)` starts fresh servers (own port, CA, token, options);
  all are stopped after the test. Use it for start-up options (policy file, seed, no controllers, ...).
- `kube_api_client` (function): a `kubernetes.client.ApiClient` for `kubesim`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from .server import KubeSim


@pytest.fixture(scope="session")
def kubesim_session() -> Iterator[KubeSim]:
    sim = KubeSim().start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def kubesim(kubesim_session: KubeSim) -> KubeSim:
    kubesim_session.reset()
    return kubesim_session


@pytest.fixture
def kubesim_factory() -> Iterator[Callable[..., KubeSim]]:
    started: list[KubeSim] = []

    def make(**kwargs: Any) -> KubeSim:
        sim = KubeSim(**kwargs).start()
        started.append(sim)
        return sim

    try:
        yield make
    finally:
        for sim in started:
            sim.stop()


@pytest.fixture
def kube_api_client(kubesim: KubeSim) -> Iterator[Any]:
    client = kubesim.kube_client()
    try:
        yield client
    finally:
        client.close()
