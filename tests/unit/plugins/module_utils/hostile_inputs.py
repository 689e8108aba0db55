# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hostile and careless inputs of issue 11, built on disk, and a measurement of what loading one
costs (wall time and peak RSS of a fresh process running `injection_facts`' runner on it).

`python tests/unit/plugins/module_utils/hostile_inputs.py` prints the table of docs/reliability.md.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import zlib
from typing import Any, Callable, Dict, List, Tuple

MIB = 1024 * 1024

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-%d\n  namespace: shop\n  labels: {app: web}\n"
    "spec:\n  containers:\n  - name: web\n    image: nginx:1.27\n---\n"
)

# Each builder makes its input under `root` and returns (src, the text the error must contain).
Builder = Callable[[str], Tuple[str, str]]


def big_yaml(root: str) -> Tuple[str, str]:
    """A 50 MB YAML dump (the issue: 92 s and 6.3 GB before the limit)."""
    path = os.path.join(root, "dump", "pods.yaml")
    os.makedirs(os.path.dirname(path))
    chunk = "".join(POD % i for i in range(1000)).encode()
    with open(path, "wb") as handle:
        while handle.tell() < 50 * MIB:
            handle.write(chunk)
    return os.path.dirname(path), "pods.yaml: %d bytes, larger than 32 MiB (limit max_yaml_mb=32" % os.path.getsize(
        path
    )


def _gzip_bomb(path: str, members: int = 30, member_mib: int = 100) -> None:
    """`members` gzip members of `member_mib` MiB of zeros each: about 3 MB expanding to 3 GB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * MIB
    member = b"".join(compressor.compress(zeros) for _mib in range(member_mib)) + compressor.flush()
    with open(path, "wb") as handle:
        for _member in range(members):
            handle.write(member)


def gzip_bomb_dump(root: str) -> Tuple[str, str]:
    """A 3 MB gzip'd 'dump' inside a directory, expanding to 3 GB."""
    os.makedirs(os.path.join(root, "dump"))
    _gzip_bomb(os.path.join(root, "dump", "pods.yaml.gz"))
    return os.path.join(root, "dump"), "pods.yaml.gz: gzip expands more than 200 times"


def gzip_bomb_src(root: str) -> Tuple[str, str]:
    """The same bomb given as `src` itself, named like a bundle."""
    path = os.path.join(root, "snapshot.json.gz")
    _gzip_bomb(path)
    return path, "snapshot.json.gz: gzip expands more than 200 times"


ALIAS_BOMB = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: lol}\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "rules: [{apiGroups: [''], resources: *i, verbs: [get]}]\n"
)


def alias_bomb(root: str) -> Tuple[str, str]:
    """About 600 bytes of YAML aliases expanding to hundreds of millions of nodes."""
    path = os.path.join(root, "lol.yaml")
    with open(path, "w") as handle:
        handle.write(ALIAS_BOMB)
    return path, "lol.yaml: document 1: YAML aliases expand"


def recursive_alias(root: str) -> Tuple[str, str]:
    """A YAML alias inside its own anchor: a structure that contains itself (endless recursion)."""
    path = os.path.join(root, "loop.yaml")
    with open(path, "w") as handle:
        handle.write("apiVersion: v1\nkind: Namespace\nmetadata: &m {name: loop, labels: *m}\n")
    return path, "loop.yaml: document 1: a YAML alias refers to itself"


def dev_zero_in_dir(root: str) -> Tuple[str, str]:
    """A symlink to /dev/zero named like a dump, inside a directory."""
    os.makedirs(os.path.join(root, "dump"))
    os.symlink("/dev/zero", os.path.join(root, "dump", "zero.yaml"))
    return os.path.join(root, "dump"), "zero.yaml (-> /dev/zero): a character device; only regular files are read"


def dev_zero_src(root: str) -> Tuple[str, str]:
    """The same symlink given as `src`."""
    path = os.path.join(root, "zero.json.gz")
    os.symlink("/dev/zero", path)
    return path, "zero.json.gz (-> /dev/zero): a character device; only regular files are read"


def fifo_in_dir(root: str) -> Tuple[str, str]:
    """A FIFO named `x.yaml` (reading it would block forever)."""
    os.makedirs(os.path.join(root, "dump"))
    os.mkfifo(os.path.join(root, "dump", "x.yaml"))
    return os.path.join(root, "dump"), "x.yaml: a FIFO (named pipe); only regular files are read"


def empty_dir(root: str) -> Tuple[str, str]:
    os.makedirs(os.path.join(root, "empty"))
    return os.path.join(root, "empty"), "empty: no data files found"


def junk_dir(root: str) -> Tuple[str, str]:
    """Files that are not Kubernetes dumps: notes, a config of another tool, a binary."""
    folder = os.path.join(root, "junk")
    os.makedirs(folder)
    with open(os.path.join(folder, "notes.yaml"), "w") as handle:
        handle.write("todo: [call the customer]\n")
    with open(os.path.join(folder, "package.json"), "w") as handle:
        handle.write('{"name": "x", "version": "1.0.0"}\n')
    with open(os.path.join(folder, "logo.png"), "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    return folder, "junk: no Kubernetes objects of the kinds this collection reads in 2 file(s)"


def corrupted_bundle_in_dir(root: str) -> Tuple[str, str]:
    """A bundle whose first bytes after the gzip header were overwritten, among good files."""
    folder = os.path.join(root, "dump")
    os.makedirs(folder)
    header = {"format": "meshops.sidecar_injection/snapshot-bundle", "format_version": 1, "schema": 1}
    data = gzip.compress(json.dumps(header).encode() + b"\n{}\n", mtime=0)
    damaged = data[:12] + bytes(b ^ 0x5A for b in data[12:30]) + data[30:]
    with open(os.path.join(folder, "snapshot.json.gz"), "wb") as handle:
        handle.write(damaged)
    with open(os.path.join(folder, "namespaces.yaml"), "w") as handle:
        handle.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    return folder, "snapshot.json.gz: corrupt gzip data"


def _wrong_type(field: str, document: str, expected: str) -> Builder:
    def build(root: str) -> Tuple[str, str]:
        path = os.path.join(root, "bad.yaml")
        with open(path, "w") as handle:
            handle.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: fine}\n---\n" + document)
        return path, expected

    build.__name__ = "wrong_type_" + field
    build.__doc__ = "`%s` of the wrong type in the second document" % field
    return build


WRONG_TYPES = [
    _wrong_type(
        "metadata",
        "apiVersion: v1\nkind: Pod\nmetadata: x\n",
        "bad.yaml: document 2: Pod (no readable metadata): field metadata must be a mapping, got a string 'x'",
    ),
    _wrong_type(
        "labels",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: x}\n",
        "bad.yaml: document 2: Pod shop/web: field metadata.labels must be a mapping of strings, got a string 'x'",
    ),
    _wrong_type(
        "spec",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: x\n",
        "bad.yaml: document 2: Deployment shop/web: field spec must be a mapping, got a string 'x'",
    ),
    _wrong_type(
        "webhooks",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n"
        "metadata: {name: istio-sidecar-injector}\nwebhooks: bad\n",
        "bad.yaml: document 2: MutatingWebhookConfiguration istio-sidecar-injector: "
        "field webhooks must be a list, got a string 'bad'",
    ),
]

HOSTILE: List[Builder] = [
    big_yaml,
    gzip_bomb_dump,
    gzip_bomb_src,
    alias_bomb,
    recursive_alias,
    dev_zero_in_dir,
    dev_zero_src,
    fifo_in_dir,
    empty_dir,
    junk_dir,
    corrupted_bundle_in_dir,
] + WRONG_TYPES

_PROBE = """
import json, resource, sys, time
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import facts
started = time.monotonic()
try:
    facts.run({"src": sys.argv[1]})
    out = {"error": None}
except facts.FactsError as exc:
    out = {"error": str(exc)}
except BaseException as exc:  # a bare exception is what the test exists to catch
    out = {"error": None, "crash": "%s: %s" % (type(exc).__name__, exc)}
out["seconds"] = round(time.monotonic() - started, 3)
out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
print(json.dumps(out))
"""


def measure(src: str) -> Dict[str, Any]:
    """Load `src` with the facts runner in a fresh process: {"error", "seconds", "max_rss_mb"}.
    The timeout only keeps a regression (a FIFO that blocks) from hanging the suite."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, src], capture_output=True, text=True, timeout=120, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": None, "crash": "did not finish in 120 s", "seconds": None, "max_rss_mb": None}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": None, "crash": done.stderr[-2000:], "seconds": None, "max_rss_mb": None}
    return json.loads(lines[-1])


def baseline() -> Dict[str, Any]:
    """The same process on a one-object file: what importing the collection alone costs."""
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "namespaces.yaml")
        with open(path, "w") as handle:
            handle.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        return measure(path)


def main() -> None:
    print("| input | error (start) | seconds | peak RSS MB |")
    print("|---|---|---|---|")
    base = baseline()
    print("| (baseline: one Namespace) | - | %s | %s |" % (base["seconds"], base["max_rss_mb"]))
    for build in HOSTILE:
        with tempfile.TemporaryDirectory() as root:
            src, _expected = build(root)
            got = measure(src)
            error = (got.get("error") or got.get("crash") or "").replace(root + "/", "")
            print(
                "| %s | %s | %s | %s |"
                % (
                    (build.__doc__ or build.__name__).strip().split("\n")[0],
                    error[:90].replace("|", "\\|"),
                    got["seconds"],
                    got["max_rss_mb"],
                )
            )


if __name__ == "__main__":
    main()
