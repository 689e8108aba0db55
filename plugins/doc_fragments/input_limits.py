# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input limits of offline snapshots (plugins/module_utils/snapshot/limits.py), one fragment for
every module that reads O(src)."""

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  max_file_mb:
    description:
      - The largest JSON data file (or gzip'd plain dump, counted expanded) read from O(src), in MiB.
      - Only regular files are read (a symlink to one is fine); a FIFO, a device or a socket fails the task
        with its path, without being opened.
    type: int
    default: 256
  max_yaml_mb:
    description:
      - The largest YAML data file read from O(src), in MiB. Parsing YAML costs about a hundred times its
        size in memory; give a large cluster as C(kubectl get -o json) output or a bundle instead.
    type: int
    default: 32
  max_total_mb:
    description:
      - The most data read from O(src) in all, in MiB (gzip content counted expanded).
    type: int
    default: 1024
  max_documents:
    description:
      - The most YAML or JSON documents plus C(List) items read from O(src).
    type: int
    default: 500000
  max_yaml_alias_nodes:
    description:
      - The most nodes YAML aliases may add to one document when expanded (a YAML alias bomb of a few
        hundred bytes expands to hundreds of millions). A recursive alias always fails.
    type: int
    default: 100000
  max_gzip_ratio:
    description:
      - A gzip file (bundle or gzip'd dump) fails as soon as its content is more than this many times the
        compressed bytes read (after the first MiB). Bundles compress about 35 times.
    type: int
    default: 200
  max_gzip_mb:
    description:
      - The largest content of a bundle, in MiB.
    type: int
    default: 1024
notes:
  - Every limit refusal names the file, the limit and the option that raises it. A field of the wrong type
    (for example C(metadata) or C(labels) given as a string) fails naming the file, the document, the object
    and the field; objects that appear more than once are reported as warnings (the last copy is used); a
    source in which no object of a kind the checks read is recognised fails, naming what was read.
"""
