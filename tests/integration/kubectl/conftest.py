"""Real kubectl builds against kubesim: every `kubectl.1.NN` found beside the `kubectl` on PATH (or in
$KUBECTL_BUILDS_DIR), one parametrized run per build, skipped cleanly when there is none.

One server per test module (a healthy Istio scenario: control plane, test injector, namespace `demo`
with Deployment `web`), a private HOME and discovery cache per build, and plain subprocess calls."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.kubesim import KubeSim
from tests.kubesim.scenarios import Scenario, start


def kubectl_builds() -> list[Path]:
    folder = os.environ.get("KUBECTL_BUILDS_DIR")
    if not folder:
        found = shutil.which("kubectl")
        folder = str(Path(found).resolve().parent) if found else ""
    if not folder or not os.path.isdir(folder):
        return []
    builds = [p for p in Path(folder).iterdir() if re.fullmatch(r"kubectl\.1\.\d+", p.name) and os.access(p, os.X_OK)]
    return sorted(builds, key=lambda p: int(p.name.rsplit(".", 1)[1]))


BUILDS = kubectl_builds()


@dataclass
class Kubectl:
    binary: Path
    kubeconfig: str
    home: Path

    @property
    def minor(self) -> int:
        return int(self.binary.name.rsplit(".", 1)[1])

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "KUBECONFIG": self.kubeconfig,
            "KUBECACHEDIR": str(self.home / "cache"),
        }
        proc = subprocess.run(
            [str(self.binary), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    def out(self, *args: str, stdin: str | None = None) -> str:
        return self.run(*args, stdin=stdin).stdout


def table(text: str) -> tuple[list[str], list[list[str]]]:
    """kubectl's column output: header and rows, cells separated by two or more spaces."""
    lines = [line for line in text.splitlines() if line.strip()]
    split = [re.split(r"\s{2,}", line.strip()) for line in lines]
    return split[0], split[1:]


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubeSim]:
    if not BUILDS:
        pytest.skip("no kubectl.1.NN builds beside kubectl on PATH (set KUBECTL_BUILDS_DIR)")
    sim = KubeSim().start()
    try:
        start(sim, Scenario("istio"))
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


@pytest.fixture(params=BUILDS or [None], ids=[p.name for p in BUILDS] or ["no-kubectl"])
def kubectl(
    request: pytest.FixtureRequest, cluster: KubeSim, homes: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Kubectl:
    binary = request.param
    assert binary is not None
    if binary.name not in homes:  # one HOME and discovery cache per build and module, as a user would have
        homes[binary.name] = tmp_path_factory.mktemp(binary.name)
    return Kubectl(binary, cluster.kubeconfig_path, homes[binary.name])
