"""The nettests the probe can run, registered by OONI test name, and OONI's groups of them.

Adding a nettest is one module, ``netvigil/probe/nettests/<name>.py`` defining ``NETTEST`` (a
:class:`~netvigil.probe.nettest.Nettest`), and one line in :data:`REGISTRY` (plus its name in a
group of :data:`GROUPS` if it belongs to one). Modules are imported only when a test is run, so
listing the names (``netvigil probe --help``) stays cheap. See docs/probe.md.
"""

from __future__ import annotations

import importlib

from netvigil._errors import InputError
from netvigil.probe.nettest import InputKind, Nettest

# OONI test name -> the module whose NETTEST implements it (one line per nettest).
REGISTRY: dict[str, str] = {
    "web_connectivity": "netvigil.probe.nettests.web_connectivity",
    "facebook_messenger": "netvigil.probe.nettests.facebook_messenger",
    "signal": "netvigil.probe.nettests.signal",
    "telegram": "netvigil.probe.nettests.telegram",
    "whatsapp": "netvigil.probe.nettests.whatsapp",
    "tor": "netvigil.probe.nettests.tor",
}

# OONI Probe's groups (its "suites"), run as `netvigil probe --group NAME`.
GROUPS: dict[str, tuple[str, ...]] = {
    "websites": ("web_connectivity",),
    "im": ("facebook_messenger", "signal", "telegram", "whatsapp"),
    "circumvention": ("tor",),  # OONI's also has psiphon and torsf, which netvigil lacks
}

DEFAULT = "web_connectivity"


def names() -> list[str]:
    return sorted(REGISTRY)


def nettest(name: str) -> Nettest:
    """The registered nettest ``name``; an unknown name is an InputError listing the known ones."""
    if name not in REGISTRY:
        raise InputError(
            f"unknown nettest {name!r}",
            field="--test",
            hint=f"known nettests: {', '.join(names())}",
        )
    found = getattr(importlib.import_module(REGISTRY[name]), "NETTEST", None)
    if not isinstance(found, Nettest) or found.name != name:
        # a registration mistake, caught by tests/probe/test_probe_nettests.py
        raise TypeError(f"{REGISTRY[name]}.NETTEST is not the Nettest {name!r}")
    return found


def group(name: str) -> list[Nettest]:
    """The nettests of group ``name``, in order; an unknown group lists the known ones."""
    if name not in GROUPS:
        raise InputError(
            f"unknown group {name!r}",
            field="--group",
            hint=f"known groups: {', '.join(sorted(GROUPS))}",
        )
    return [nettest(n) for n in GROUPS[name]]


def input_kind(tests: list[Nettest]) -> InputKind:
    """The one kind of input a selection of nettests takes (NONE if none of them takes any).

    URLs and endpoints cannot share a run: the same arguments cannot be both. OONI's groups never
    mix them; a test keeps that true of ours.
    """
    kinds = {t.inputs for t in tests} - {InputKind.NONE}
    if len(kinds) > 1:
        listed = ", ".join(f"{t.name} ({t.inputs})" for t in tests)
        raise InputError(f"these nettests take different inputs: {listed}", field="--group")
    return kinds.pop() if kinds else InputKind.NONE
