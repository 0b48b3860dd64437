"""The wheel installer: sources, destinations, install/uninstall, and all-or-nothing plans.

`install(source, destination)` writes one validated wheel; `apply(plan, env)` runs a list of
Install/Upgrade/Remove steps under a journal so that the environment ends entirely old or
entirely new; `recover(env)` rolls back a plan a crash interrupted; `uninstall` removes a
distribution by its RECORD. The member rules and the RECORD policy are the store's
(`pkm.store._members`, `pkm.store._record`): every wheel meets the same checks whether it is
unpacked into the store or installed.

Names load on first use (`pkm._lazy`): a command that finds nothing to change imports only
`environment` (and `recover` there imports the rollback only when there is one to do).
"""

from __future__ import annotations

from pkm._lazy import lazy_names

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

_HOME = {
    "install": "_core", "InstalledDistribution": "_core",
    "WheelSource": "sources", "WheelFile": "sources", "TreeSource": "sources", "Member": "sources", "Limits": "sources",
    "WheelDestination": "destinations", "SchemeDestination": "destinations", "LINK_MODES": "destinations",
    "Environment": "environment", "recover": "environment",
    "Install": "transaction", "Upgrade": "transaction", "Remove": "transaction", "Applied": "transaction",
    "apply": "transaction",
    "uninstall": "_uninstall", "find_distribution": "_uninstall",
}

__getattr__, __dir__ = lazy_names(__name__, _HOME)
