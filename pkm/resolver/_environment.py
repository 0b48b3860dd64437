"""The environment a resolution is made for: PEP 508 markers, wheel tags, and the Python version."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Tuple

from packaging import tags as _tags
from packaging.version import InvalidVersion, Version

from pkm.errors import UsageError

from ._model import PLATFORMS

__all__ = ["PLATFORMS", "Target", "marker_applies"]


# The newest glibc a synthesized Linux target claims: wheels for newer ones are rare and would
# not install on most machines such a lock is made for.
_DEFAULT_GLIBC = (2, 39)


@dataclass(frozen=True)
class Target:
    """Markers, wheel tags (best first) and the full Python version that candidates must fit.

    A value: build it from a probed interpreter (`from_interpreter`) or synthesize one for
    another machine (`synthesize`). `python_version` is what requires-python is checked
    against; `label` names the target in messages ("CPython 3.11.7 on linux").
    """

    markers: Mapping[str, str]
    tags: Tuple[Any, ...] = field(repr=False)
    python_version: Version
    label: str = ""
    tag_rank: Mapping[Any, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.tag_rank:
            rank: dict = {}
            for position, tag in enumerate(self.tags):
                rank.setdefault(tag, position)
            object.__setattr__(self, "tag_rank", rank)

    @classmethod
    def from_interpreter(cls, interpreter: Any) -> Target:
        """The target of a `pkm.env.Interpreter` (anything with `markers()`, `tags()`, `version_str`).

        Cost: the interpreter's tag computation (a few milliseconds)."""
        markers = dict(interpreter.markers())
        version = _release(getattr(interpreter, "version_str", None) or markers.get("python_full_version", ""))
        name = getattr(interpreter, "display_name", None) or markers.get("platform_python_implementation", "Python")
        return cls(markers, tuple(interpreter.tags()), version, f"{name} {version}")

    @classmethod
    def running(cls) -> Target:
        """The interpreter running pkm, without a probe (packaging's own view of it)."""
        from packaging.markers import default_environment

        markers = dict(default_environment())
        version = _release(markers["python_full_version"])
        return cls(markers, tuple(_tags.sys_tags()), version, f"{markers['platform_python_implementation']} {version}")

    @classmethod
    def synthesize(cls, python_version: str, platform: Optional[str] = None, *,
                   manylinux: Optional[Tuple[int, int]] = None, machine: Optional[str] = None) -> Target:
        """A CPython `python_version` ("3.12" or "3.12.4") on `platform` (linux, macos, windows).

        `platform` defaults to this machine's kind. Linux gets manylinux tags up to glibc
        `manylinux` (default 2.39), macOS 14 and older, Windows `win_amd64`. Raises
        UsageError for a version or platform pkm cannot spell.
        """
        version = _release(python_version)
        if len(version.release) < 2 or version.major != 3:
            raise UsageError(f"`{python_version}` is not a Python 3 version", hint="write it as 3.12 or 3.12.4")
        if platform is None:
            platform = {"darwin": "macos", "win32": "windows"}.get(sys.platform, "linux")
        if platform not in PLATFORMS:
            raise UsageError(f"unknown platform `{platform}`", hint=f"use one of: {', '.join(sorted(PLATFORMS))}")
        sys_platform, system, os_name, default_machine = PLATFORMS[platform]
        machine = machine or default_machine
        major_minor = (version.major, version.minor)
        full = ".".join(str(part) for part in (list(version.release) + [0, 0])[:3])
        markers = {
            "implementation_name": "cpython", "implementation_version": full, "os_name": os_name,
            "platform_machine": machine, "platform_python_implementation": "CPython", "platform_release": "",
            "platform_system": system, "platform_version": "", "python_full_version": full,
            "python_version": "%d.%d" % major_minor, "sys_platform": sys_platform,
        }
        platforms = _platform_tags(platform, machine, manylinux or _DEFAULT_GLIBC)
        interpreter = "cp%d%d" % major_minor
        found = list(_tags.cpython_tags(major_minor, [interpreter], platforms))
        found += list(_tags.compatible_tags(major_minor, interpreter, platforms))
        return cls(markers, tuple(found), Version(full), f"CPython {full} on {platform}")

    @property
    def python_short(self) -> str:
        return "%d.%d" % (self.python_version.major, self.python_version.minor)


def _release(text: str) -> Version:
    try:
        version = Version(str(text))
    except InvalidVersion:
        raise UsageError(f"`{text}` is not a Python version", hint="write it as 3.12 or 3.12.4") from None
    # A pre-release interpreter is checked like its final release: requires-python `>=3.13`
    # is meant to admit 3.13.0rc1, which PEP 440 would order before 3.13.0.
    return Version(".".join(str(part) for part in version.release))


def _platform_tags(platform: str, machine: str, glibc: Tuple[int, int]) -> list:
    if platform == "linux":
        arch = machine.lower()
        found = []
        for minor in range(glibc[1], 4, -1):
            found.append(f"manylinux_{glibc[0]}_{minor}_{arch}")
            legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}.get(minor)
            if legacy == "manylinux2014" or (legacy is not None and arch in ("x86_64", "i686")):
                found.append(f"{legacy}_{arch}")
        return found + [f"linux_{arch}"]
    if platform == "macos":
        return list(_tags.mac_platforms((14, 0), machine))
    return ["win_amd64" if machine.lower() in ("amd64", "x86_64") else f"win_{machine.lower()}"]


def marker_applies(marker: Any, env: Mapping[str, str]) -> bool:
    """Whether a PEP 508 marker holds in `env` (a target's markers plus `extra`)."""
    try:
        return bool(marker.evaluate(env))
    except Exception:  # a marker comparing values packaging cannot order: it does not apply here
        return False
