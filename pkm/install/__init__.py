"""The wheel installer: sources, destinations, install/uninstall, and all-or-nothing plans.

`install(source, destination)` writes one validated wheel; `apply(plan, env)` runs a list of
Install/Upgrade/Remove steps under a journal so that the environment ends entirely old or
entirely new; `recover(env)` rolls back a plan a crash interrupted; `uninstall` removes a
distribution by its RECORD. The member rules and the RECORD policy are the store's (`pkm.store._members`, `pkm.store._record`):
every wheel meets the same checks whether it is unpacked into the store or installed.
"""

from __future__ import annotations

from ._core import InstalledDistribution, install
from .destinations import LINK_MODES, SchemeDestination, WheelDestination
from .sources import Limits, Member, TreeSource, WheelFile, WheelSource
from .transaction import Applied, Environment, Install, Remove, Upgrade, apply, recover
from .uninstall import find_distribution, uninstall

__all__ = [
    "install",
    "InstalledDistribution",
    "WheelSource",
    "WheelFile",
    "TreeSource",
    "Member",
    "Limits",
    "WheelDestination",
    "SchemeDestination",
    "LINK_MODES",
    "Environment",
    "Install",
    "Upgrade",
    "Remove",
    "Applied",
    "apply",
    "recover",
    "uninstall",
    "find_distribution",
]
