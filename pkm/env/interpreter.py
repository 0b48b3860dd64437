"""Interpreters: what `hooks/probe.py` says about a Python, cached on disk, and its wheel tags."""

from __future__ import annotations

import marshal
import os
from collections import namedtuple
from collections.abc import Mapping
from types import MappingProxyType

from pkm._used import mark_used
from pkm.errors import NotFoundError, PkmError

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import Any, Callable, Sequence, Tuple

    # A runner executes argv and returns (exit code, stdout, stderr); tests inject one to count spawns.
    Runner = Callable[[Sequence[str]], Tuple[int, str, str]]

__all__ = ["PROBE_FORMAT", "Interpreter", "probe", "subprocess_runner"]

PROBE_FORMAT = 1  # the "probe" version of hooks/probe.py this module reads
_TIMEOUT = 30.0

_DISPLAY_NAMES = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}


def subprocess_runner(argv: Sequence[str]) -> tuple[int, str, str]:
    """Run `argv` with a timeout; an executable that cannot be started is NotFoundError or PkmError."""
    import subprocess  # only a cache miss pays for it

    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, errors="replace",
                              timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise NotFoundError(f"no Python interpreter at {argv[0]}", hint="check the path, or pass --python X.Y") from None
    except PermissionError:
        raise PkmError(f"cannot run {argv[0]}", why="it is not executable",
                       hint="pass the path of a Python interpreter") from None
    except subprocess.TimeoutExpired:
        raise PkmError(f"{argv[0]} did not answer the interpreter probe within {_TIMEOUT:.0f} s",
                       hint="check that it is a working Python interpreter") from None
    except OSError as exc:
        raise PkmError(f"cannot run {argv[0]}", why=str(exc), hint="pass the path of a Python interpreter") from None
    return done.returncode, done.stdout, done.stderr


_FIELDS = ("executable version implementation cache_tag prefix base_prefix in_venv platform soabi ext_suffix "
           "pointer_bits gil_disabled paths sys_path marker_env")


class Interpreter(namedtuple("Interpreter", _FIELDS, defaults=(MappingProxyType({}), (), MappingProxyType({})))):
    """A Python interpreter as its probe described it (a value: no I/O but `base_executable`).

    `executable` is `sys.executable` as the interpreter reported it (absolute,
    symlinks not resolved); `version` a tuple of three ints; `cache_tag`,
    `soabi` and `ext_suffix` strings or None (`sys.implementation.cache_tag`,
    sysconfig's SOABI and EXT_SUFFIX); `prefix`/`base_prefix` as in `sys`;
    `platform` as `sysconfig.get_platform()`; `pointer_bits` 32 or 64;
    `paths` its sysconfig scheme paths; `sys_path` its `sys.path` (isolated);
    `marker_env` its PEP 508 marker environment.
    """

    __slots__ = ()

    @classmethod
    def from_probe(cls, data: Mapping[str, Any]) -> Interpreter:
        """Build from the probe's JSON object; a format we do not know is a PkmError."""
        if not isinstance(data, Mapping) or data.get("probe") != PROBE_FORMAT:
            found = data.get("probe") if isinstance(data, Mapping) else None
            raise PkmError(f"unknown interpreter probe format {found!r} (expected {PROBE_FORMAT})",
                           hint="pkm and its hooks/ folder come from different versions; reinstall pkm-tool")
        try:
            return cls(
                executable=str(data["executable"]),
                version=tuple(int(x) for x in data["version"][:3]),  # type: ignore[arg-type]
                implementation=str(data["implementation"]),
                cache_tag=data.get("cache_tag"),
                prefix=str(data["prefix"]),
                base_prefix=str(data["base_prefix"]),
                in_venv=bool(data["in_venv"]),
                platform=str(data["platform"]),
                soabi=data.get("soabi"),
                ext_suffix=data.get("ext_suffix"),
                pointer_bits=int(data.get("pointer_bits", 64)),
                gil_disabled=bool(data.get("gil_disabled", False)),
                paths=dict(data["paths"]),
                sys_path=tuple(data.get("sys_path", ())),
                marker_env=dict(data["markers"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PkmError("the interpreter probe's answer is incomplete", why=f"{type(exc).__name__}: {exc}",
                           hint="pkm and its hooks/ folder come from different versions; reinstall pkm-tool") from None

    def to_probe(self) -> dict[str, Any]:
        """The probe JSON object this value was made from (round-trips through `from_probe`)."""
        return {
            "probe": PROBE_FORMAT, "executable": self.executable, "version": list(self.version),
            "implementation": self.implementation, "cache_tag": self.cache_tag, "prefix": self.prefix,
            "base_prefix": self.base_prefix, "in_venv": self.in_venv, "platform": self.platform,
            "soabi": self.soabi, "ext_suffix": self.ext_suffix, "pointer_bits": self.pointer_bits,
            "gil_disabled": self.gil_disabled, "paths": dict(self.paths), "sys_path": list(self.sys_path),
            "markers": dict(self.marker_env),
        }

    @property
    def version_str(self) -> str:
        """`"3.11.7"`."""
        return ".".join(map(str, self.version))

    @property
    def python_version(self) -> str:
        """`"3.11"`, as in the `python_version` marker."""
        return "%d.%d" % self.version[:2]

    @property
    def display_name(self) -> str:
        """`"CPython"`, `"PyPy"`, ... for messages."""
        return _DISPLAY_NAMES.get(self.implementation, self.implementation)

    def markers(self) -> dict[str, str]:
        """The PEP 508 marker environment, for `Marker.evaluate(environment=...)`."""
        return dict(self.marker_env)

    def tags(self) -> list[Any]:
        """The wheel tags this interpreter accepts, best first (`packaging.tags.Tag` values).

        Computed here from the probe data (the probe stays stdlib-only); equal to
        `packaging.tags.sys_tags()` when asked about the running interpreter.
        Costs a few milliseconds (the manylinux check reads the C library once).
        """
        from pkm.env._tags import interpreter_tags

        return interpreter_tags(self)

    def base_executable(self) -> str:
        """The interpreter a new venv should link to: this one, or for a venv its base.

        For a venv the base is found from `pyvenv.cfg`'s `home` (as CPython's
        start-up does), falling back to the resolved symlink.
        """
        if not self.in_venv:
            return self.executable
        home = _venv_home(self.prefix)
        if home is not None:
            for name in (f"python{self.python_version}", "python3", "python"):
                candidate = os.path.join(home, name)
                if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                    return candidate
        resolved = os.path.realpath(self.executable)
        if not resolved.startswith(os.path.join(os.path.realpath(self.prefix), "")):
            return resolved
        raise PkmError(f"cannot find the base interpreter of the virtual environment {self.prefix}",
                       why=f"its pyvenv.cfg names no usable `home`, and {self.executable} is a copy inside it",
                       hint="pass the base interpreter with --python /path/to/python3")


def _venv_home(prefix: str) -> str | None:
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "home":
            return value.strip()
    return None


def _cache_key(executable: str) -> dict[str, Any] | None:
    """What the probe's answer depends on: the path asked for, the file it resolves to, its stat.

    The unresolved path is part of the key: a venv's `bin/python` resolves to
    its base interpreter but reports a different prefix. The venv's
    `pyvenv.cfg` is included too, since it changes `sys.path`: by its text,
    not its stat, so a venv made again at the same path for the same base
    (`rm -rf .venv && pkm sync`) still has its answer cached.
    """
    resolved = os.path.realpath(executable)
    try:
        st = os.stat(resolved)
    except OSError:
        return None
    key: dict[str, Any] = {"path": executable, "resolved": resolved, "mtime_ns": st.st_mtime_ns, "size": st.st_size}
    bin_dir = os.path.dirname(executable)
    for cfg in (os.path.join(bin_dir, "pyvenv.cfg"), os.path.join(os.path.dirname(bin_dir), "pyvenv.cfg")):
        try:
            with open(cfg, "rb") as f:
                text = f.read(1 << 16).decode("utf-8", "replace")
        except OSError:
            continue
        key["pyvenv_cfg"] = [cfg, text]
        break
    return key


def _cache_file(cache_dir: str | os.PathLike[str], key: Mapping[str, Any]) -> str:
    # FNV-1a of the path names the file: stable, and no `hashlib` import on this quick path.
    # A collision only costs a probe: the entry's full key is compared on read.
    digest = 0xCBF29CE484222325
    for byte in key["path"].encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return os.path.join(cache_dir, f"{digest:016x}.marshal")


# Entries are marshal data (format 4, which every Python 3 reads): `pkm venv` reads one on
# every run, and `json` costs more to import than the rest of that command. The store already
# holds what Python unmarshals (.pyc files), so this trusts nothing new.
_MARSHAL_FORMAT = 4


def _read_cache(path: str, key: Mapping[str, Any]) -> Interpreter | None:
    try:
        with open(path, "rb") as f:
            entry = marshal.load(f)
        if entry.get("key") != key:
            return None
        found = Interpreter.from_probe(entry["probe"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, PkmError):
        return None  # missing, stale or corrupt: probe again and overwrite
    mark_used(path)  # `pkm store gc` prunes probes unused for its max age
    return found


def _write_cache(path: str, key: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    # temp file + rename: a concurrent reader sees the old entry or the new one, never half of one.
    import tempfile

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".probe-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                marshal.dump({"key": key, "probe": data}, f, _MARSHAL_FORMAT)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only cache only costs the next run a subprocess


def probe(
    executable: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None,
    script: str | None = None,
    runner: Runner | None = None,
) -> Interpreter:
    """Describe the interpreter at `executable`, running `hooks/probe.py` only on a cache miss.

    The answer is cached in `cache_dir` (None: no cache) keyed by the path,
    the resolved file's mtime and size (and a venv's pyvenv.cfg), so a second
    call costs two stats and reading a small file, no subprocess. The probe runs
    isolated (`-I`): environment variables and the user site do not leak
    into a cached answer. A wrapper script (a pyenv shim) reports another
    executable than the one asked for; its answer is not cached, since what it
    runs can change without the wrapper changing.

    Raises NotFoundError if there is no such file, PkmError if it is not a
    working Python.
    """
    path = os.path.abspath(os.path.expanduser(os.fspath(executable)))
    if not os.path.exists(path):
        raise NotFoundError(f"no Python interpreter at {path}", hint="check the path, or pass --python X.Y")
    key = _cache_key(path) if cache_dir is not None else None
    if key is not None and cache_dir is not None:
        cached = _read_cache(_cache_file(cache_dir, key), key)
        if cached is not None:
            return cached
    if script is None:
        import pkm_runtime

        script = pkm_runtime.hook_script("probe")
    code, out, err = (runner or subprocess_runner)([path, "-I", script])
    import json  # only a cache miss reads the probe's JSON

    try:
        data = json.loads(out) if code == 0 else None
    except ValueError:
        data = None
    if data is None:
        tail = "\n".join((err or out).strip().splitlines()[-5:]) or f"exit code {code}"
        raise PkmError(f"{path} is not a working Python 3 interpreter", why=tail,
                       hint="pass the path of a Python 3.9+ interpreter, or a version: --python 3.12")
    interpreter = Interpreter.from_probe(data)
    if key is not None and cache_dir is not None and interpreter.executable == path:
        _write_cache(_cache_file(cache_dir, key), key, interpreter.to_probe())
    return interpreter
