# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin: one host per kubeconfig context, across several kubeconfig files."""

# Ansible wants the imports below DOCUMENTATION and EXAMPLES.
# ruff: noqa: E402
from __future__ import annotations

DOCUMENTATION = r"""
---
name: kubeconfig
short_description: One inventory host per kubeconfig context
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Reads one or more kubeconfig files and adds one host per context, so that a playbook runs once
    per cluster. Each host carries the variables the collection's roles forward to the modules
    (C(kubeconfig) and C(context)), the context's cluster server URL, namespace and user name, and
    C(ansible_connection=local).
  - Only names and the server URL are exposed. Tokens, passwords, client keys, certificates and
    exec/auth-provider settings stay in the kubeconfig files; the modules read them from there.
  - A context becomes a host named after the context when the name is safe in Ansible host
    patterns and report file names, that is, when it only holds letters, digits and C(_ . - @)
    (not as the first character for C(@)). Every other character is replaced with C(_); for example
    C(arn:aws:eks:eu-west-1:123456789012:cluster/prod) becomes host
    C(arn_aws_eks_eu-west-1_123456789012_cluster_prod). The context name itself is always kept in
    the host variable C(context).
  - When two contexts would make the same host (the same context name in two kubeconfig entries, or
    two names that sanitise alike), the first one wins and a warning names both.
  - The configuration file's name must end in C(kubeconfig.yml) or C(kubeconfig.yaml).
  - Nothing is cached; reading local kubeconfig files is as cheap as reading a cache would be.
extends_documentation_fragment:
  - ansible.builtin.constructed
options:
  plugin:
    description: The name of this plugin; it marks the YAML file as this plugin's configuration.
    required: true
    type: str
    choices:
      - meshops.sidecar_injection.kubeconfig
  kubeconfig:
    description:
      - The kubeconfig files to read, one entry per kubeconfig, in order. A string is taken as a
        list of one entry.
      - An entry may itself be a C(KUBECONFIG)-style list of files separated by C(:) (C(;) on
        Windows). Those files are merged the way C(kubectl) merges C($KUBECONFIG) (the first file
        that defines a context, cluster or user name wins) so a context may use a cluster or user
        defined in another file of the same entry. The hosts of such an entry get the whole list as
        their C(kubeconfig) variable.
      - C(~) is expanded and relative paths are taken from the current directory. Paths are made
        absolute in the host variables.
      - A file that does not exist is skipped with a warning. A file that exists but cannot be read,
        is not valid YAML or is not a kubeconfig is an error naming the file.
      - When the configuration file does not set it, the C(K8S_AUTH_KUBECONFIG) environment variable
        (the one kubernetes.core's modules read) is used when set, as one entry, so an AWX credential
        that injects a kubeconfig file can name it; otherwise C(~/.kube/config).
    type: list
    elements: str
    default:
      - ~/.kube/config
    env:
      - name: K8S_AUTH_KUBECONFIG
  include_contexts:
    description:
      - Regular expressions (Python C(re) syntax) matched against each context name, the original
        one as written in the kubeconfig, not the sanitised host name. A context is kept when at
        least one of them matches anywhere in the name (C(re.search); anchor with C(^) and C($) for
        a whole-name match). Empty keeps every context.
    type: list
    elements: str
    default: []
  exclude_contexts:
    description:
      - Regular expressions matched like O(include_contexts); a context that any of them matches is
        left out, even when an include pattern matches it.
    type: list
    elements: str
    default: []
  python_interpreter:
    description:
      - The value of C(ansible_python_interpreter) for every host.
      - When not set, it is C({{ ansible_playbook_python }}), the Python that runs Ansible on the
        controller, which is where the C(kubernetes) library is installed with Ansible (the hosts
        are clusters; their modules run on the controller).
      - Set it to an empty string to leave C(ansible_python_interpreter) unset, so that Ansible's
        interpreter discovery (or a group or host variable) decides.
    type: str
notes:
  - "Host variables set for every host: C(kubeconfig) (the file, or the C(:)-list of files, the
    context came from), C(context) (the context name), C(kubeconfig_cluster) (the context's cluster
    entry name), C(kubeconfig_server) (that cluster's server URL, without any user name or password
    in it), C(kubeconfig_namespace) (the context's namespace), C(kubeconfig_user) (the name of the
    context's user entry), C(ansible_connection=local) and C(ansible_python_interpreter). Values the
    kubeconfig does not give are null."
  - Values read from kubeconfig files are never templated.
  - A context whose cluster is not defined in its kubeconfig entry still becomes a host (with a
    null C(kubeconfig_server)) and a warning, so that a run reports it as failed instead of
    leaving it out silently.
  - The hosts are in no group of their own; use O(groups) or O(keyed_groups).
seealso:
  - name: Inventory and fleets
    description: docs/inventory.md in the collection, with EKS, GKE and AKS examples.
    link: https://github.com/meshops/sidecar_injection/blob/main/docs/inventory.md
"""

EXAMPLES = r"""
---
# clusters.kubeconfig.yml: every context of ~/.kube/config
plugin: meshops.sidecar_injection.kubeconfig

---
# fleet.kubeconfig.yml: several files, a KUBECONFIG-style merged entry, filters and groups
plugin: meshops.sidecar_injection.kubeconfig
kubeconfig:
  - ~/.kube/eks.yaml
  - ~/.kube/gke.yaml
  - /etc/fleet/clusters.yaml:/etc/fleet/users.yaml
include_contexts:
  - '^arn:aws:eks:'
  - '^gke_'
exclude_contexts:
  - 'sandbox'
compose:
  cloud: "'eks' if context is match('arn:aws:eks:') else ('gke' if context is match('gke_') else 'other')"
  region: "context.split(':')[3] if context is match('arn:aws:eks:') else context.split('_')[2] | default('')"
keyed_groups:
  - key: cloud
    prefix: cloud
  - key: kubeconfig_namespace
    prefix: namespace
    default_value: unset
groups:
  production: "'prod' in context"
"""

import os
import re
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

import yaml
from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible.utils.unsafe_proxy import wrap_var

try:  # ansible-core >= 2.19 does not template plugin-set variables unless they are marked as trusted
    from ansible.template import trust_as_template
except ImportError:  # older cores template every string that is not marked unsafe
    trust_as_template = None

DEFAULT_PYTHON_INTERPRETER = "{{ ansible_playbook_python }}"
CONFIG_SUFFIXES = ("kubeconfig.yml", "kubeconfig.yaml")
# Outside these, a character either splits or globs an Ansible host pattern (`:` `,` `*` `[` `!`
# `&` `~`, whitespace) or breaks the per-host report file name (`/`).
_UNSAFE_HOST_CHARACTERS = re.compile(r"[^A-Za-z0-9_.@-]")
_SECTIONS = ("clusters", "contexts", "users")


class KubeconfigError(Exception):
    """A kubeconfig file that exists but cannot be used; the message names the file."""


def host_name(context: str) -> str:
    """The inventory host name for a context: the context name, with unsafe characters as `_`."""
    name = _UNSAFE_HOST_CHARACTERS.sub("_", context)
    if name.startswith("@"):  # `--limit @file` reads host names from a file
        name = "_" + name[1:]
    return name


def _without_credentials(url: Any) -> Optional[str]:
    """A server URL with any `user:password@` dropped from it."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _yaml_problem(exc: Any) -> str:
    """One line: what the YAML parser found and where (its own message quotes no file name)."""
    problem = ": ".join(part for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part)
    mark = getattr(exc, "problem_mark", None)
    if not problem:
        return " ".join(str(exc).split())
    if mark is None:
        return problem
    return "%s (line %d, column %d)" % (problem, mark.line + 1, mark.column + 1)


def read_kubeconfig(path: str) -> Dict[str, List[Dict[str, Any]]]:
    """The named entries of one kubeconfig file, per section; raises KubeconfigError."""
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except OSError as exc:
        raise KubeconfigError("Cannot read kubeconfig %s: %s" % (path, exc.strerror or exc)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KubeconfigError("kubeconfig %s is not valid YAML: %s" % (path, _yaml_problem(exc))) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KubeconfigError(
            "kubeconfig %s is not a kubeconfig: expected a mapping with clusters, contexts and users, got %s"
            % (path, type(data).__name__)
        )
    sections: Dict[str, List[Dict[str, Any]]] = {}
    for section in _SECTIONS:
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise KubeconfigError(
                "kubeconfig %s is not a kubeconfig: %s is a %s, not a list" % (path, section, type(entries).__name__)
            )
        for index, entry in enumerate(entries):
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name:
                raise KubeconfigError("kubeconfig %s is not a kubeconfig: %s[%d] has no name" % (path, section, index))
            if not isinstance(entry.get(section[:-1]) or {}, dict):
                raise KubeconfigError(
                    "kubeconfig %s is not a kubeconfig: %s[%d] (%s) has no %s mapping"
                    % (path, section, index, name, section[:-1])
                )
        sections[section] = entries
    return sections


def _entry_paths(entry: str) -> List[str]:
    return [os.path.abspath(os.path.expanduser(part)) for part in entry.split(os.pathsep) if part]


def contexts_of_entry(entry: str, warn: Any) -> List[Dict[str, Any]]:
    """The contexts of one `kubeconfig` entry (a file or a KUBECONFIG-style list of files), merged
    as kubectl merges $KUBECONFIG: the first file to define a name wins."""
    files: List[Tuple[str, Dict[str, List[Dict[str, Any]]]]] = []
    for path in _entry_paths(entry):
        if not os.path.exists(path):
            warn("kubeconfig %s does not exist; skipped" % path)
            continue
        files.append((path, read_kubeconfig(path)))
    if not files:
        return []
    source = os.pathsep.join(path for path, _sections in files)
    merged: Dict[str, Dict[str, Tuple[str, Dict[str, Any]]]] = {section: {} for section in _SECTIONS}
    for path, sections in files:
        for section in _SECTIONS:
            for item in sections[section]:
                merged[section].setdefault(item["name"], (path, item))
    records = []
    for name, (path, item) in merged["contexts"].items():
        context = item.get("context") or {}
        cluster_name, user_name = context.get("cluster"), context.get("user")
        cluster = merged["clusters"].get(cluster_name) if isinstance(cluster_name, str) else None
        if cluster is None:
            warn(
                "kubeconfig %s: context %s names cluster %s, which %s does not define"
                % (path, name, cluster_name, "this kubeconfig" if len(files) == 1 else "no file of %s" % source)
            )
        server = (cluster[1].get("cluster") or {}).get("server") if cluster else None
        namespace = context.get("namespace")
        records.append(
            {
                "file": path,
                "vars": {
                    "kubeconfig": source,
                    "context": name,
                    "kubeconfig_cluster": cluster_name if isinstance(cluster_name, str) else None,
                    "kubeconfig_server": _without_credentials(server),
                    "kubeconfig_namespace": namespace if isinstance(namespace, str) and namespace else None,
                    "kubeconfig_user": user_name if isinstance(user_name, str) and user_name else None,
                },
            }
        )
    if not records:
        warn("kubeconfig %s defines no contexts" % source)
    return records


def _compile(option: str, patterns: List[str]) -> List[Any]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise AnsibleParserError("%s: %r is not a valid regular expression: %s" % (option, pattern, exc)) from None
    return compiled


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "meshops.sidecar_injection.kubeconfig"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(CONFIG_SUFFIXES)

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        include = _compile("include_contexts", self.get_option("include_contexts"))
        exclude = _compile("exclude_contexts", self.get_option("exclude_contexts"))
        interpreter = self.get_option("python_interpreter")
        if interpreter is None:  # not a documented default: Ansible's config would template that
            interpreter = DEFAULT_PYTHON_INTERPRETER
        if interpreter and trust_as_template is not None:
            interpreter = trust_as_template(interpreter)  # from this file's options or their default
        records = []
        try:  # every file is read before any host is added: an invalid one adds nothing
            for entry in self.get_option("kubeconfig"):
                records.extend(contexts_of_entry(entry, self.display.warning))
        except KubeconfigError as exc:
            raise AnsibleParserError(to_native(exc)) from None
        seen: Dict[str, Dict[str, Any]] = {}
        for record in records:
            context = record["vars"]["context"]
            if include and not any(p.search(context) for p in include):
                continue
            if any(p.search(context) for p in exclude):
                continue
            name = host_name(context)
            if name in seen:
                first = seen[name]
                self.display.warning(
                    "kubeconfig %s: context %s would be host %s, which context %s of %s already is; skipped"
                    % (record["file"], context, name, first["vars"]["context"], first["file"])
                )
                continue
            seen[name] = record
            self._add(name, record["vars"], interpreter)

    def _add(self, name: str, variables: Dict[str, Any], interpreter: Optional[str]) -> None:
        strict = self.get_option("strict")
        self.inventory.add_host(name)
        for key, value in variables.items():
            self.inventory.set_variable(name, key, wrap_var(value))
        self.inventory.set_variable(name, "ansible_connection", "local")
        if interpreter:
            self.inventory.set_variable(name, "ansible_python_interpreter", interpreter)
        host_vars = self.inventory.get_host(name).get_vars()
        self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)
