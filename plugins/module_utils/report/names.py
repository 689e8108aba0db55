# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report file names from inventory host names, which may hold anything (`../x`, `a/b`, spaces).

`file_stem(host)` keeps letters, digits, `.`, `_` and `-`, turns anything else into `_` and a
leading `.` into `_`, so `<report_dir>/<stem>.json` is always a plain file inside report_dir. The
diagnose role builds `<host>.json` with the same two `regex_replace` steps (REGEX, LEADING_DOT).
"""

from __future__ import annotations

import re

REGEX = r"[^A-Za-z0-9._-]"
LEADING_DOT = r"^[.]"


def file_stem(host: str) -> str:
    """The file name stem of `host`'s reports: never empty, never a path, never hidden."""
    stem = re.sub(LEADING_DOT, "_", re.sub(REGEX, "_", host))
    return stem or "_"
