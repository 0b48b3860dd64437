"""The project sync shortcut: a `.venv` last synced with the same options, pyproject.toml, lock and
installed distributions needs nothing, and `pkm sync` / `pkm exec` say so without parsing anything.

The stamp (`.venv/.pkm-sync-stamp`) holds those inputs themselves, not a digest of them: deciding
costs three small reads, one listdir and a comparison, and imports no hashlib, pathlib or typing
(README, Development).
"""

from __future__ import annotations

import os
import sys

from pkm import __version__

TYPE_CHECKING = False  # the quick start path imports no typing (README, Development)
if TYPE_CHECKING:
    import argparse

__all__ = ["STAMP", "record_sync", "unchanged_since_sync"]

STAMP = ".pkm-sync-stamp"
_VERSION = b"pkm-sync-stamp 2\n"


def unchanged_since_sync(pyproject: "str | os.PathLike[str]", args: argparse.Namespace) -> bool:
    """Whether the project's `.venv` was synced with these options and nothing changed since."""
    stamp = _stamp(os.fspath(pyproject), args)
    if stamp is None:
        return False
    try:
        with open(os.path.join(os.path.dirname(os.fspath(pyproject)), ".venv", STAMP), "rb") as f:
            return f.read() == stamp
    except OSError:
        return False


def record_sync(pyproject: "str | os.PathLike[str]", args: argparse.Namespace) -> None:
    """Remember a successful sync (after it: the sync may have written the lock)."""
    stamp = _stamp(os.fspath(pyproject), args)
    if stamp is not None:
        try:
            with open(os.path.join(os.path.dirname(os.fspath(pyproject)), ".venv", STAMP), "wb") as f:
                f.write(stamp)
        except OSError:
            pass  # only a shortcut: the next sync does the full check


def _stamp(pyproject: str, args: argparse.Namespace) -> "bytes | None":
    """Everything a plain project sync depends on, or None when the shortcut does not apply
    (other options, a workspace, no venv or lock yet)."""
    a = args
    if a.env or a.env_name or a.package or a.active or a.reinstall or a.frozen or os.environ.get("VIRTUAL_ENV"):
        return None
    root = os.path.dirname(pyproject)
    try:
        texts = [_read(pyproject), _read(os.path.join(root, "pylock.toml"))]
        directory = root
        while os.path.dirname(directory) != directory:  # a member of a workspace above: not for the shortcut
            directory = os.path.dirname(directory)
            candidate = os.path.join(directory, "pyproject.toml")
            if os.path.isfile(candidate) and b"workspace" in _read(candidate):
                return None
        lib = os.path.join(root, ".venv", "lib")
        sites = sorted(os.path.join(lib, d, "site-packages") for d in os.listdir(lib) if d.startswith("python"))
        sites = [site for site in sites if os.path.isdir(site)]
        listing = sorted(name for site in sites for name in os.listdir(site))
    except OSError:
        return None
    if b"workspace" in texts[0] or not sites:
        return None
    options = repr((sorted(a.group), a.no_dev, a.no_default_groups, sorted(a.extra), a.all_extras, a.link_mode,
                    __version__, sys.executable))
    parts = [options.encode("utf-8", "surrogateescape"), *texts,
             "\0".join(listing).encode("utf-8", "surrogateescape")]
    return _VERSION + b"".join(b"%d\n%s" % (len(part), part) for part in parts)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
