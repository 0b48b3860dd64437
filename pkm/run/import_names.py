"""Which distributions provide an import name: the table generated from real wheels, and the rule that reads wheels.

    candidates("yaml")            # ['pyyaml']  (most downloaded first; [] when unknown)
    candidates("google.protobuf") # ['protobuf'] (a dotted name finds its longest known prefix)
    is_ambiguous("google")        # True: a namespace shared by many projects; ask the user to declare one

The table (`import_names.json` beside this module) is written by
`scripts/gen_import_names.py` from the newest wheel of each of the most
downloaded PyPI projects: `provided_names` reads one wheel's member names
(the runtime can check a chosen wheel the same way) and `build` merges them.
Imported on the on-demand path only: loading the table costs one JSON parse
(a few ms), done once, on first use. Standard library only.
"""

from __future__ import annotations

import json
import keyword
import threading
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    "AMBIGUOUS_OVER",
    "FORMAT",
    "ImportNames",
    "TABLE_PATH",
    "build",
    "candidates",
    "is_ambiguous",
    "load",
    "provided_names",
    "top_level_names",
]

FORMAT = "pkm-import-names-1"
TABLE_PATH = Path(__file__).with_name("import_names.json")
# More providers than this make a name ambiguous even when each ships a regular package:
# past a few forks (cv2 has four opencv-* builds) such a name is generic, not a project's own.
AMBIGUOUS_OVER = 4
# Generic top-level names that wheels ship by mistake beside their package (a `tests/` or `docs/`
# directory, a stray `setup.py`): an import of one of these means the user's own missing module,
# never a download. Names ending in `_tests` are skipped too.
SKIPPED_NAMES = frozenset({
    "test", "tests", "testing", "doc", "docs", "example", "examples", "sample", "samples", "script",
    "scripts", "tool", "tools", "bench", "benchmark", "benchmarks", "setup", "conftest", "newsfragments",
    "cli", "src", "lib", "util", "utils", "common",
})
_MAX_DEPTH = 4  # google.cloud.<api>: namespaces nest two levels deep in practice


class ImportNames:
    """A loaded table: import name -> distribution names, best first, and the names that need a declaration.

    Keys are top-level import names, plus dotted names below a namespace
    (`google.cloud.storage`), so an import of a submodule can pick its own
    project. Lookups are dictionary reads.
    """

    def __init__(self, names: Mapping[str, Sequence[str]], ambiguous: Iterable[str] = ()):
        self.names: Dict[str, Tuple[str, ...]] = {key: tuple(value) for key, value in names.items()}
        self.ambiguous: FrozenSet[str] = frozenset(ambiguous)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ImportNames:
        """Build from the parsed JSON document; ValueError when its format is not FORMAT."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} table (format {data.get('format')!r})")
        return cls(data["names"], data.get("ambiguous", ()))  # type: ignore[arg-type]

    def key(self, import_name: str) -> Optional[str]:
        """The table key that answers for `import_name`: itself, else its longest dotted prefix in the table."""
        parts = import_name.strip().split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self.names:
                return candidate
        return None

    def candidates(self, import_name: str) -> List[str]:
        """Distribution names that provide `import_name`, most downloaded first; [] when the table does not know it."""
        key = self.key(import_name)
        return list(self.names[key]) if key is not None else []

    def is_ambiguous(self, import_name: str) -> bool:
        """Whether picking a distribution for `import_name` would be a guess (see the rule in `is_ambiguous`)."""
        return self.key(import_name) in self.ambiguous


_lock = threading.Lock()
_default: Optional[ImportNames] = None


def load(path: Optional[Path] = None) -> ImportNames:
    """The table at `path`; without one, the committed table, parsed once per process (thread-safe)."""
    global _default
    if path is not None:
        return ImportNames.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    with _lock:
        if _default is None:
            _default = ImportNames.from_json(json.loads(TABLE_PATH.read_text(encoding="utf-8")))
        return _default


def candidates(import_name: str) -> List[str]:
    """Distributions (canonical names) that provide `import_name`, most downloaded first; [] when unknown.

    A dotted name is answered by its longest prefix in the table, so
    `google.cloud.storage.blob` finds `google-cloud-storage` and `yaml.nodes`
    finds `pyyaml`. Only the projects in the table are known: an empty answer
    means "not among the most downloaded", not "does not exist".
    """
    return load().candidates(import_name)


def is_ambiguous(import_name: str) -> bool:
    """Whether the table cannot pick a distribution for `import_name` without guessing.

    The rule, decided when the table is built (`build`) and applied to the
    key answering for the name (itself or its longest dotted prefix):
    ambiguous when
    - it is a shared namespace: no project owns it (every provider ships it
      as a namespace directory: no `__init__`, or pkgutil/pkg_resources
      style, an `__init__` that is its only module beside subpackages) and
      two providers put disjoint sets of names below it, e.g. `google`
      (`google.protobuf` from protobuf, `google.api_core` from
      google-api-core), `azure`, `zope`, `google.cloud`, `airflow` (only its
      providers-* packages are ranked); or
    - more than AMBIGUOUS_OVER (4) projects own it (a generic name reused by
      unrelated packages).
    Not ambiguous: an unknown name (it has no candidates at all); builds of
    one package (`cv2` from the opencv-* wheels, `onnxruntime` and
    `onnxruntime-gpu`); a package that one project owns and others extend
    (`PyQt5`, `twisted`, `dbt`): its owner comes first. The dotted names
    below a shared namespace (`google.cloud.storage`) are in the table, so
    an import of a submodule usually finds one project.
    """
    return load().is_ambiguous(import_name)


def build(scans: Sequence[Tuple[str, Mapping[str, bool]]]) -> Tuple[Dict[str, List[str]], List[str]]:
    """(import name -> projects, the ambiguous names) from (project, `provided_names` of its wheel) in rank order.

    Each list puts first the projects that own the name (ship it as a
    regular package or module), then those that only add to it as a
    namespace; within each group nightly builds (`*-nightly`) go last, then
    download rank. A name is split when two of its providers own disjoint
    sets of names below it (plugins, `google.*` pieces), not the same tree
    (forks like onnxruntime and onnxruntime-gpu). Ambiguous (see
    `is_ambiguous`): split with no owner, or more than AMBIGUOUS_OVER owners.
    Dotted names are kept only below split names: elsewhere the top-level
    name already answers (`tensorflow.python`). Pure; linear in names.
    """
    providers: Dict[str, List[Tuple[bool, bool, int, str]]] = {}
    below: Dict[Tuple[str, str], set] = {}  # (name, project) -> the names that project owns under it
    for rank, (project, provided) in enumerate(scans):
        for name, namespace in provided.items():
            providers.setdefault(name, []).append((project.endswith("-nightly"), namespace, rank, project))
            parts = name.split(".")
            for end in range(1 if not namespace else len(parts), len(parts)):  # the owned names (leaves) only
                below.setdefault((".".join(parts[:end]), project), set()).add(name)
    split = set()
    for name, entries in providers.items():
        pieces = [below[(name, project)] for *_, project in entries if (name, project) in below]
        if any(a.isdisjoint(b) for i, a in enumerate(pieces) for b in pieces[i + 1:]):
            split.add(name)
    names: Dict[str, List[str]] = {}
    ambiguous = []
    for name, entries in providers.items():
        parts = name.split(".")
        if not all(".".join(parts[:end]) in split for end in range(1, len(parts))):
            continue
        names[name] = [project for *_, project in sorted(entries)]
        owners = sum(1 for _, namespace, _, _ in entries if not namespace)
        if (name in split and owners == 0) or owners > AMBIGUOUS_OVER:
            ambiguous.append(name)
    return names, sorted(ambiguous)


# -- reading a wheel -------------------------------------------------------------------------------


def top_level_names(members: Iterable[str]) -> List[str]:
    """The top-level import names a wheel provides, sorted, from its member names (see `provided_names`)."""
    return sorted(name for name in provided_names(members) if "." not in name)


def provided_names(members: Iterable[str]) -> Dict[str, bool]:
    """Import names a wheel provides, from its member names: name -> whether the wheel ships it as a namespace.

    A namespace here is a directory without `__init__` (PEP 420), or whose
    `__init__` is its only module beside subpackages (pkgutil style; regular
    packages laid out like that count too: `build` tells them apart).

    Top-level names: `*.py` modules, extension modules (`name.cpython-311-x86_64-linux-gnu.so`,
    `name.abi3.so`, `name.cp312-win_amd64.pyd`), and directories holding a
    module somewhere below (packages and namespaces). Files under
    `*.data/purelib/` and `*.data/platlib/` count as top level (installers put
    them there); `*.dist-info`, the other `*.data` schemes, `__pycache__`,
    generic names shipped by mistake (SKIPPED_NAMES: `tests/`, `docs/`,
    `setup.py`, ..., and `*_tests`), mypyc helper modules (`<hash>__mypyc`),
    `-stubs` packages and any name that is not an identifier (e.g.
    `numpy.libs`) are skipped. `_private` names are
    dropped unless the wheel provides nothing else. Below a namespace, the
    dotted names down to the first regular package or module are included
    too (`google.protobuf`, `google.cloud.storage`). Pure; linear in members.
    """
    files = _importable_paths(members)
    tree = _Tree(files)
    found: Dict[str, bool] = {}
    for name, is_dir in tree.children(()):
        if _skipped(name):
            continue
        if is_dir:
            _walk(tree, (name,), found)
        else:
            found.setdefault(name, False)
    public = {name: ns for name, ns in found.items() if not name.split(".")[0].startswith("_")}
    return public or found


def _walk(tree: "_Tree", path: Tuple[str, ...], found: Dict[str, bool]) -> None:
    namespace = tree.is_namespace(path)
    found[".".join(path)] = namespace
    if not namespace or len(path) >= _MAX_DEPTH:
        return
    for name, is_dir in tree.children(path):
        if name.startswith("_") or _skipped(name):
            continue
        if is_dir:
            _walk(tree, path + (name,), found)
        else:
            found.setdefault(".".join(path + (name,)), False)


def _skipped(name: str) -> bool:
    return name in SKIPPED_NAMES or name.endswith(("_tests", "__mypyc"))


def _importable_paths(members: Iterable[str]) -> List[Tuple[str, ...]]:
    """Member paths as parts, relative to site-packages, for the files an installer puts there."""
    paths = []
    for member in members:
        if member.endswith("/"):
            continue  # a directory entry: its files speak for it
        parts = tuple(p for p in member.replace("\\", "/").split("/") if p not in ("", "."))
        if not parts or ".." in parts or "__pycache__" in parts:
            continue
        head = parts[0]
        if head.endswith(".dist-info"):
            continue
        if head.endswith(".data"):
            if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                continue
            parts = parts[2:]
        paths.append(parts)
    return paths


def _module_name(filename: str) -> Optional[str]:
    """The module a file defines (`x.py`, `x.pyc`, `x.<tag>.so`, `x.<tag>.pyd`), or None for other files."""
    if filename.endswith((".py", ".pyc")):
        stem = filename.rsplit(".", 1)[0]
    elif filename.endswith((".so", ".pyd")):
        stem = filename.split(".", 1)[0]
    else:
        return None
    return stem if _is_name(stem) else None


def _is_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


class _Tree:
    """The directories of a wheel that hold modules, and the modules in each."""

    def __init__(self, files: List[Tuple[str, ...]]):
        self._modules: Dict[Tuple[str, ...], set] = {}  # dir -> module names directly inside
        self._dirs: Dict[Tuple[str, ...], set] = {}  # dir -> subdirs holding a module somewhere below
        self._init: set = set()  # dirs with an __init__ module
        for parts in files:
            module = _module_name(parts[-1])
            if module is None:
                continue
            directory = parts[:-1]
            if not all(_is_name(p) for p in directory):
                continue  # e.g. `numpy.libs/`, `foo-stubs/`: not importable
            if module == "__init__":
                self._init.add(directory)
            self._modules.setdefault(directory, set()).add(module)
            for depth in range(len(directory)):
                self._dirs.setdefault(directory[:depth], set()).add(directory[depth])

    def children(self, path: Tuple[str, ...]) -> List[Tuple[str, bool]]:
        """(name, is_dir) for the modules and module-holding subdirectories directly in `path`, sorted."""
        modules = {m for m in self._modules.get(path, ()) if m != "__init__" and not m.startswith("__")}
        dirs = self._dirs.get(path, set())
        return sorted([(m, False) for m in modules - dirs] + [(d, True) for d in dirs])

    def is_namespace(self, path: Tuple[str, ...]) -> bool:
        """No `__init__` (PEP 420), or an `__init__` that is the only module beside subpackages (pkgutil style)."""
        if path not in self._init:
            return True
        own = {m for m in self._modules.get(path, ()) if m != "__init__"}
        return not own and bool(self._dirs.get(path))
