"""docs/performance.md is assembled from sections, each owned by one benchmark and replaced in place.

A section lives between `<!-- bench:KEY:start -->` and `<!-- bench:KEY:end -->`; text outside the
markers (and other benchmarks' sections) is kept, so each benchmark can be re-run on its own.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from typing import List, Sequence

HEADER = """# Performance

Figures measured by `make bench` (`.venv/bin/python -m tests.benchmarks`), which is not part of
`make test`. Each section below is rewritten by the benchmark that owns it; the machine and the exact
command are given with the figures.
"""


def update_section(path: str, key: str, body: str) -> None:
    start, end = "<!-- bench:%s:start -->" % key, "<!-- bench:%s:end -->" % key
    block = "%s\n%s\n%s" % (start, body.strip("\n"), end)
    text = HEADER
    if os.path.exists(path):
        with open(path) as handle:
            text = handle.read()
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
            memory = ", %.0f GiB RAM" % (kb / 1024.0 / 1024.0)
    except (OSError, ValueError, IndexError):
        pass
    kernel = platform.release()
    return "%s, %d CPU cores%s, Linux %s, Python %s" % (
        cpu,
        os.cpu_count() or 0,
        memory,
        kernel,
        platform.python_version(),
    )


def versions(packages: Sequence[str]) -> str:
    found: List[str] = []
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return ""
    for name in packages:
        try:
            found.append("%s %s" % (name, version(name)))
        except PackageNotFoundError:
            continue
    return ", ".join(found)


def git_revision(repo: str) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "uncommitted"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)
