# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Options of the modules that read a live cluster: retries, timeouts and the per-cluster deadline.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  retries:
    description:
      - How many times a live request is retried after HTTP 429 (honouring C(Retry-After), capped at
        30 seconds), a 5xx status, a reset connection or a read timeout, with exponential backoff and
        jitter. One policy covers all of them, and no wait runs past O(deadline).
      - A kind that still fails is a coverage gap (finding SI805, warning), never a clean result.
    type: int
    default: 5
  request_timeout:
    description:
      - Seconds one live request may take (connecting and reading), shortened to what O(deadline)
        leaves.
    type: float
    default: 30
  deadline:
    description:
      - Seconds the live read of one cluster may take in all, retries and waits included. When it runs
        out, the kinds not read yet are recorded as coverage gaps (reason C(deadline), finding SI805) and
        the diagnosis goes on with what was read; the read ends within O(deadline) plus one
        O(request_timeout).
      - V(0) means no overall deadline.
    type: float
    default: 300
"""
