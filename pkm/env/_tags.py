"""Wheel tags of a probed interpreter, computed with packaging.tags from the probe's data."""

from __future__ import annotations

import sys
import sysconfig
from typing import TYPE_CHECKING, Iterable

from packaging import tags as _t

if TYPE_CHECKING:
    from pkm.env.interpreter import Interpreter

__all__ = ["interpreter_tags"]


def _normalize(platform: str) -> str:
    return platform.replace(".", "_").replace("-", "_").replace(" ", "_")


def _platforms(interp: Interpreter) -> list[str]:
    """Platform tags, most specific first.

    When the interpreter runs on this machine with the same platform and word
    size as the running one, packaging's own answer is the right one (the
    manylinux/musllinux checks look at this machine's C library, which both
    share). Otherwise: macOS tags for its architecture, or its sysconfig
    platform alone (no manylinux guesses for a foreign build).
    """
    plat = _normalize(interp.platform)
    own_bits = 64 if sys.maxsize > 2**32 else 32
    if plat == _normalize(sysconfig.get_platform()) and interp.pointer_bits == own_bits:
        return list(_t.platform_tags())
    if plat.startswith("macosx_"):
        return list(_t.mac_platforms(arch=interp.marker_env.get("platform_machine") or plat.split("_", 3)[-1]))
    if plat.startswith("linux_") and interp.pointer_bits == 32:
        plat = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(plat, plat)
    return [plat]


def _cpython_abis(interp: Interpreter) -> list[str]:
    # SOABI is "cpython-311-x86_64-linux-gnu", "cpython-313td-...": the flags follow the digits.
    nodot = "%d%d" % interp.version[:2]
    flags = ""
    if interp.soabi and interp.soabi.startswith("cpython-"):
        flags = interp.soabi.split("-")[1][len(nodot):]
    elif interp.gil_disabled:
        flags = "t"
    threading = "t" if "t" in flags else ""
    abis = [f"cp{nodot}{flags}"]
    if "d" in flags:
        abis.append(f"cp{nodot}{threading}")  # a debug build also loads regular extensions
    return abis


def _generic_abis(interp: Interpreter) -> list[str]:
    # EXT_SUFFIX ".pypy310-pp73-x86_64-linux-gnu.so" -> "pypy310_pp73"; ".graalpy-38-native-..." -> 3 parts.
    parts = (interp.ext_suffix or "").split(".")
    if len(parts) < 3 or not parts[1]:
        return []
    soabi = parts[1]
    if soabi.startswith("pypy"):
        soabi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        soabi = "-".join(soabi.split("-")[:3])
    return [_normalize(soabi)]


def interpreter_tags(interp: Interpreter) -> list[_t.Tag]:
    """The tags `interp` accepts, best first, in `packaging.tags.sys_tags()`'s order."""
    version = interp.version[:2]
    nodot = "%d%d" % version
    platforms = _platforms(interp)
    short = _t.INTERPRETER_SHORT_NAMES.get(interp.implementation) or interp.implementation
    found: Iterable[_t.Tag]
    if short == "cp":
        found = list(_t.cpython_tags(version, _cpython_abis(interp), platforms))
        compat_interp: str | None = f"cp{nodot}"
    else:
        found = list(_t.generic_tags(f"{short}{nodot}", _generic_abis(interp), platforms))
        compat_interp = "pp3" if short == "pp" else None
    return [*found, *_t.compatible_tags(version, compat_interp, platforms)]
