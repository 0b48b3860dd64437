"""A generic PubGrub version solver: packages are any hashable names, versions PEP 440 versions.

It knows nothing of Python packaging. A `DependencyProvider` supplies versions and
dependencies; `Solver` runs PubGrub one decision per `step()` (so a caller can prefetch the
`pending` packages), and `resolve()` runs it to the end. A failure raises `NoSolution`, whose
`incompatibility` is the derivation tree (data); `pkm.ui.report` renders it as sentences.
Version sets are `packaging.ranges.VersionRange` values.
"""

from __future__ import annotations

from ._incompatibility import (
    Cause,
    DependencyCause,
    DerivedCause,
    Incompatibility,
    NoVersionsCause,
    RootCause,
    UnavailableCause,
)
from ._ranges import any_version, coerce_range, exactly, format_range, no_version, same_set
from ._solver import NoSolution, Progress, Solver, resolve
from ._term import Term
from .offline import OfflineProvider
from .provider import Available, DependencyProvider, Unavailable

__all__ = [
    "Available",
    "Cause",
    "DependencyCause",
    "DependencyProvider",
    "DerivedCause",
    "Incompatibility",
    "NoSolution",
    "NoVersionsCause",
    "OfflineProvider",
    "Progress",
    "RootCause",
    "Solver",
    "Term",
    "UnavailableCause",
    "Unavailable",
    "any_version",
    "coerce_range",
    "exactly",
    "format_range",
    "no_version",
    "resolve",
    "same_set",
]
