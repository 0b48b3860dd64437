"""Finding interpreters: on PATH and in pyenv, and the one a `--python` request names."""

from __future__ import annotations

import os
import re
import sys

from pkm.env.interpreter import probe
from pkm.errors import NotFoundError, PkmError, UsageError

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import Callable, Iterator, Mapping

    from pkm.env.interpreter import Interpreter, Runner

    # A request matches a probed interpreter (or not).
    Matcher = Callable[[Interpreter], bool]

__all__ = ["candidate_paths", "find_interpreter", "find_interpreters", "parse_request"]

# Patterns, compiled (and cached by `re`) on first use: `pkm venv` without --python needs none.
_NAME = r"python(3(\.\d+)?)?\Z"
_REQUEST = r"(?i)(?:(cpython|python|pypy|cp|pp|py)-?)?(\d+(?:\.\d+){0,2})(t?)\Z"
# A bare implementation name, as `uv venv --python python` or `pypy` take: any version of it.
_BARE = r"(?i)(cpython|python|pypy)\Z"
_IMPLEMENTATIONS = {"cpython": "cpython", "cp": "cpython", "pypy": "pypy", "pp": "pypy"}

def _is_wrapper(path: str) -> bool:
    # pyenv shims and similar launchers are scripts: what they run can change without them
    # changing, and the real interpreters are found on their own (pyenv's versions folder).
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def candidate_paths(environ: Mapping[str, str], *, pyenv_root: str | os.PathLike[str] | None = None) -> Iterator[str]:
    """Possible interpreters, in preference order, without running any.

    PATH entries named `python`, `python3` or `python3.N` (wrapper scripts
    skipped), then pyenv's `versions/*/bin/python3`, newest version first.
    Each file is yielded once (by resolved path). Cost: a directory listing
    per PATH entry.
    """
    seen: set[str] = set()

    def fresh(path: str) -> bool:
        real = os.path.realpath(path)
        if real in seen or not os.access(path, os.X_OK) or not os.path.isfile(path):
            return False
        seen.add(real)
        return True

    for entry in environ.get("PATH", "").split(os.pathsep):
        if not entry:
            continue
        try:
            names = sorted((n for n in os.listdir(entry) if re.match(_NAME, n)), key=_name_order)
        except OSError:
            continue
        for name in names:
            path = os.path.join(entry, name)
            if not _is_wrapper(path) and fresh(path):
                yield path
    root = pyenv_root or environ.get("PYENV_ROOT") or os.path.join(environ.get("HOME") or os.path.expanduser("~"),
                                                                      ".pyenv")
    try:
        versions = sorted(os.listdir(os.path.join(root, "versions")), key=_version_key, reverse=True)
    except OSError:
        versions = []
    for version in versions:
        path = os.path.join(root, "versions", version, "bin", "python3")
        if os.path.exists(path) and fresh(path):
            yield path


def _name_order(name: str) -> tuple[int, str]:
    # python3 before python3.N before python: the usual meaning of "the python on PATH".
    return ({"python3": 0, "python": 2}.get(name, 1), name)


def _version_key(name: str) -> tuple[int, ...]:
    parts = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", name)
    return tuple(int(p or 0) for p in parts.groups()) if parts else (-1,)


def _probe_quietly(path: str, cache_dir: str | os.PathLike[str] | None, runner: Runner | None) -> Interpreter | None:
    try:
        return probe(path, cache_dir=cache_dir, runner=runner)
    except PkmError:
        return None  # a broken or foreign file on PATH does not stop the search


def find_interpreters(
    *,
    cache_dir: str | os.PathLike[str] | None,
    environ: Mapping[str, str] | None = None,
    pyenv_root: str | os.PathLike[str] | None = None,
    runner: Runner | None = None,
) -> list[Interpreter]:
    """Every working interpreter of `candidate_paths`, in that order.

    Cost: one probe subprocess per interpreter not yet in the cache (run on a
    few threads), none for the cached ones.
    """
    from concurrent.futures import ThreadPoolExecutor

    paths = list(candidate_paths(os.environ if environ is None else environ, pyenv_root=pyenv_root))
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda p: _probe_quietly(p, cache_dir, runner), paths))
    unique: dict[str, Interpreter] = {}
    for interp in found:
        if interp is not None:
            unique.setdefault(interp.executable, interp)
    return list(unique.values())


def parse_request(request: str) -> Matcher:
    """A matcher for `3`, `3.12`, `3.12.1`, `python3.12`, `cpython3.12`, `pypy3.10`, `3.13t`, `>=3.10,<3.13`.

    Raises UsageError for anything else.
    """
    text = request.strip()
    bare = re.match(_BARE, text)
    if bare:
        impl_only = _IMPLEMENTATIONS.get(bare.group(1).lower())
        return lambda interp: impl_only is None or interp.implementation == impl_only
    match = re.match(_REQUEST, text)
    if match:
        impl_word, version_text, free = match.groups()
        impl = _IMPLEMENTATIONS.get((impl_word or "").lower())
        wanted = tuple(int(p) for p in version_text.split("."))

        def matches(interp: Interpreter) -> bool:
            return (interp.version[: len(wanted)] == wanted and (impl is None or interp.implementation == impl)
                    and (not free or interp.gil_disabled))

        return matches
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(text)
    except InvalidSpecifier:
        spec = None
    if spec is None or not text:
        raise UsageError(f"`{request}` is not a Python request",
                         hint="pass a version (3.12, 3.12.1, pypy3.10, '>=3.10'), or the path of an interpreter")
    return lambda interp: spec.contains(interp.version_str, prereleases=True)


def _looks_like_path(request: str) -> bool:
    return os.sep in request or request.startswith((".", "~")) or os.path.exists(request)


def find_interpreter(
    request: str | None,
    *,
    cache_dir: str | os.PathLike[str] | None,
    environ: Mapping[str, str] | None = None,
    pyenv_root: str | os.PathLike[str] | None = None,
    runner: Runner | None = None,
) -> Interpreter:
    """The interpreter `request` names.

    None: the interpreter running pkm (as `python -m venv` and virtualenv do).
    A path: that executable, or a venv or installation directory (its
    `bin/python3`). Otherwise a version request (see `parse_request`): the
    first match in `candidate_paths` order, probing lazily (cached probes
    cost no subprocess). Raises NotFoundError when nothing matches.
    """
    if request is None:
        return probe(sys.executable, cache_dir=cache_dir, runner=runner)
    if _looks_like_path(request):
        path = os.path.expanduser(request)
        if os.path.isdir(path):
            for name in ("bin/python3", "bin/python"):
                if os.path.exists(os.path.join(path, name)):
                    return probe(os.path.join(path, name), cache_dir=cache_dir, runner=runner)
            raise NotFoundError(f"no Python interpreter in the directory {path}",
                                why="it has no bin/python3 or bin/python",
                                hint="pass the interpreter's executable: --python /path/to/bin/python3")
        return probe(path, cache_dir=cache_dir, runner=runner)
    matches = parse_request(request)
    env = os.environ if environ is None else environ
    for path in candidate_paths(env, pyenv_root=pyenv_root):
        interp = _probe_quietly(path, cache_dir, runner)
        if interp is not None and matches(interp):
            return interp
    raise NotFoundError(f"no Python interpreter matching `{request}`",
                        why="looked on PATH and in pyenv's versions folder",
                        hint="install it (e.g. `pyenv install 3.12`), or pass its path: --python /path/to/python3")
