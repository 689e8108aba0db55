# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the Ansible CLIs the way `make` does (the Makefile's exports), isolated from the machine's
own kubeconfig and K8S_AUTH_* settings."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
PLUGIN = "meshops.sidecar_injection.kubeconfig"


def environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"),
        ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
        ANSIBLE_HOME=str(tmp_path / ".ansible"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible" / "tmp"),
        PATH=BIN + os.pathsep + env.get("PATH", ""),
        PYTHONDONTWRITEBYTECODE="1",
        # the repo's ansible.cfg enables only yaml/ini/host_list; Ansible's default list has `auto`
        ANSIBLE_INVENTORY_ENABLED=PLUGIN,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        HOME=str(tmp_path),  # no ~/.kube/config to fall back on
    )
    return env


def run(tmp_path, *argv):
    return subprocess.run(
        [os.path.join(BIN, argv[0])] + list(argv[1:]),
        cwd=REPO,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def warnings(stderr):
    return [line[len("[WARNING]: ") :] for line in stderr.splitlines() if line.startswith("[WARNING]: ")]
