"""Marking a store entry used: its mtime is when it was last used, which `pkm store gc` counts from.

Shared by every layer that reads from the store's caches (HTTP answers, pages, metadata, built
wheels, build environments, probes, trees), so the convention lives in one place.
"""

from __future__ import annotations

import os

__all__ = ["mark_used"]


def mark_used(path: "str | os.PathLike[str]") -> None:
    """Set `path`'s mtime to now. Cost: one utime. Never fails: an entry of another user's
    store cannot be renewed, and renewing is only what keeps gc from pruning it early."""
    try:
        os.utime(path)
    except OSError:
        pass
