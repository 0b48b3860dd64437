"""Reading and writing `pylock.toml` (PEP 751) files, modelled by `packaging.pylock`."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

from packaging.markers import Marker
from packaging.pylock import Package, Pylock, PylockValidationError
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pkm._toml import key_line, parse_toml
from pkm.errors import InputFileError

from ._write import render_lock_dict

__all__ = [
    "LOCK_VERSION",
    "make_lock",
    "render_lock",
    "write_lock",
    "read_lock",
    "parse_lock",
    "environment_marker",
    "single_environment_requires_python",
    "parse_upload_time",
]

LOCK_VERSION = "1.0"
# The markers that pin a lock to one environment. Judgement: the minor Python version, not the full one
# (patch releases do not change wheel tags, and a lock that breaks on every patch upgrade helps nobody),
# plus implementation, OS and machine (what wheel tags and most dependency markers depend on).
_ENV_KEYS = ("python_version", "implementation_name", "sys_platform", "platform_machine")


def environment_marker(marker_env: Mapping[str, str]) -> str:
    """The PEP 751 `environments` entry for a lock made for one interpreter.

    From a PEP 508 marker environment (e.g. `Interpreter.markers()`):
    `python_version == '3.11' and implementation_name == 'cpython' and
    sys_platform == 'linux' and platform_machine == 'x86_64'`. Keys the
    environment lacks are left out.
    """
    parts = [f"{key} == {marker_env[key]!r}" for key in _ENV_KEYS if marker_env.get(key)]
    return str(Marker(" and ".join(parts))) if parts else ""


def single_environment_requires_python(python_version: str) -> str:
    """The narrowed `requires-python` of a one-environment lock: `"3.11.7"` or `"3.11"` -> `"==3.11.*"`."""
    major, minor = python_version.split(".")[:2]
    return f"=={int(major)}.{int(minor)}.*"


def parse_upload_time(text: Optional[str]) -> Optional[datetime.datetime]:
    """An index's `upload-time` (ISO 8601, `Z` for UTC) as a datetime; None when absent or unreadable."""
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def make_lock(
    packages: Sequence[Package],
    *,
    environments: Sequence[Union[str, Marker]] = (),
    requires_python: Union[str, SpecifierSet, None] = None,
    created_by: str = "pkm",
    extras: Sequence[str] = (),
    dependency_groups: Sequence[str] = (),
    default_groups: Sequence[str] = (),
    tool: Optional[Mapping[str, Any]] = None,
) -> Pylock:
    """A validated Pylock of `packages` (sorted by normalized name, then version).

    `extras`, `dependency_groups` and `default_groups` are PEP 751's lists for a lock whose
    package markers name them (`'dev' in dependency_groups`); `tool` its `[tool]` table.
    Raises ValueError (a bug of the caller, not of a user's file) when packaging
    refuses the result: wheel names that do not match the package, a package
    without a source, a name that is not normalized.
    """
    ordered = sorted(packages, key=lambda p: (p.name, p.version or Version("0")))
    lock = Pylock(
        lock_version=Version(LOCK_VERSION),
        environments=[m if isinstance(m, Marker) else Marker(m) for m in environments] or None,
        requires_python=SpecifierSet(str(requires_python)) if requires_python else None,
        extras=sorted(extras) or None,
        dependency_groups=sorted(dependency_groups) or None,
        default_groups=sorted(default_groups) or None,
        created_by=created_by,
        packages=ordered,
        tool=dict(tool) if tool else None,
    )
    try:
        lock.validate()
    except PylockValidationError as exc:
        raise ValueError(f"not a valid PEP 751 lock: {exc}") from None
    return lock


def render_lock(lock: Pylock) -> str:
    """The deterministic TOML text of `lock`: equal locks give equal bytes."""
    return render_lock_dict(lock.to_dict())


def write_lock(
    path: Union[str, os.PathLike],
    packages: Sequence[Package],
    *,
    environments: Sequence[Union[str, Marker]] = (),
    requires_python: Union[str, SpecifierSet, None] = None,
    created_by: str = "pkm",
) -> Pylock:
    """Write `packages` as a PEP 751 lock at `path` (temp file + rename); returns the Pylock written.

    A lock for one interpreter passes `environments=[environment_marker(...)]` and
    `requires_python=single_environment_requires_python(...)`, so that no tool
    takes it for a universal lock.
    """
    lock = make_lock(packages, environments=environments, requires_python=requires_python, created_by=created_by)
    path = Path(path)
    text = render_lock(lock)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return lock


def _context_line(text: str, context: Optional[str]) -> Optional[int]:
    """Best-effort line of the key a validation error names (`packages[2].wheels[0].hashes`)."""
    if not context:
        return None
    parts = context.replace("]", "").split(".")
    last = parts[-1].split("[")[0]
    if not parts[0].startswith("packages["):
        return key_line(text, last)
    index = int(parts[0].split("[")[1])
    seen, header = -1, None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped == "[[packages]]":
            seen += 1
            if seen > index:
                break
            header = number if seen == index else header
        elif seen == index and re.search(rf"(^|[{{,\s]){re.escape(last)}\s*=", stripped):
            return number
    return header


def parse_lock(text: str, path: Union[str, os.PathLike] = "pylock.toml") -> Pylock:
    """Parse and validate lock `text` (read from `path`, named in errors).

    Malformed TOML or a lock that packaging refuses is InputFileError (exit 2)
    with the file and, where it can be found, the line.
    """
    data = parse_toml(text, path)
    try:
        return Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise InputFileError(
            f"not a valid PEP 751 lock: {exc.message}" + (f" (at {exc.context})" if exc.context else ""),
            path=str(path),
            line=_context_line(text, exc.context),
            hint="regenerate the lock, or fix the entry by hand (PEP 751 describes the format)",
        ) from None


def read_lock(path: Union[str, os.PathLike]) -> Pylock:
    """Read and validate the lock at `path`; errors as `parse_lock`, a missing file is InputFileError too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError("no such lock file", path=str(path),
                             hint="check the path; a lock is written by `pkm lock`") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)) from None
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    return parse_lock(text, path)
