"""JSON project pages read on demand: files grouped by version up front, each version's Artifacts made when asked for.

A resolution looks at a few versions of each project, while pages list every file ever
uploaded (botocore: 5,000; numpy: 10,000). Reading a page therefore does, per file, only the
checks that decide whether the file is kept and under which version (its URL scheme, a plain
file name of the page's project, a version that parses); a file passing them cannot be
skipped later, so the page's `skipped` and `versions` are final at once. Making the Artifact
(normalizing hashes, requires-python, metadata fields) waits until its version is read.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from packaging.version import Version

from ._model import Artifact, ProjectPage, name_and_version

__all__ = ["Files", "LazyPage", "PLAIN_FILENAME", "grouped_page"]

# File names that `unsafe_filename_reason` passes at a glance (ASCII, no dot first, at most 255
# bytes): what index pages list. Any other name takes the general path and its full check.
PLAIN_FILENAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}")

# One raw entry of a page -> its Artifact, a skip reason (str), or None (not a distribution).
Build = Callable[[Any], Any]


class Files:
    """The Artifacts of one version, in page order; made from the raw entries on first use.

    A read-only sequence (iteration, len, indexing). Cost: one `build` per raw entry, once.
    Two threads reading it at once may both build it; either result is the same."""

    __slots__ = ("_items", "_build", "_built")

    def __init__(self, items: List[Any], build: Build) -> None:
        self._items = items
        self._build = build
        self._built = False

    def _list(self) -> List[Artifact]:
        if not self._built:
            build = self._build
            made = [item if type(item) is Artifact else build(item) for item in self._items]
            # The quick checks guarantee an Artifact; should they ever not, no non-artifact gets out.
            self._items = [item for item in made if type(item) is Artifact]
            self._built = True
        return self._items

    def __iter__(self) -> Iterator[Artifact]:
        return iter(self._list())

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __repr__(self) -> str:
        return f"Files({self._list()!r})"


class LazyPage(ProjectPage):
    """A ProjectPage whose Artifacts are made when first asked for.

    `by_version()` hands out each version's files as `Files`, made one version at a time;
    `artifacts` makes them all (in page order). Everything else is as on a ProjectPage."""

    def __init__(self, name: str, index_url: str, versions: Tuple[str, ...], skipped: Tuple[str, ...],
                 groups: Dict[Version, List[Any]], every: Callable[[], Tuple[Artifact, ...]], build: Build) -> None:
        setattr_ = object.__setattr__  # a frozen dataclass: fields are set once, here
        setattr_(self, "name", name)
        setattr_(self, "index_url", index_url)
        setattr_(self, "versions", versions)
        setattr_(self, "skipped", skipped)
        setattr_(self, "_groups", groups)
        setattr_(self, "_every", every)
        setattr_(self, "_build", build)
        setattr_(self, "_by_version", None)
        setattr_(self, "_artifacts", None)

    @property  # type: ignore[override]
    def artifacts(self) -> Tuple[Artifact, ...]:
        """Every Artifact of the page in page order (made on first use: every file of the page)."""
        if self._artifacts is None:
            object.__setattr__(self, "_artifacts", self._every())
        return self._artifacts

    def __eq__(self, other: object) -> bool:
        """Equal to any ProjectPage with the same fields, lazy or not (as a page read at once is)."""
        if not isinstance(other, ProjectPage):
            return NotImplemented
        return (self.name, self.index_url, self.versions, self.skipped, self.artifacts) == (
            other.name, other.index_url, other.versions, other.skipped, other.artifacts)

    __hash__ = ProjectPage.__hash__

    def by_version(self) -> Dict[Version, Sequence[Artifact]]:
        """Version -> its Artifacts (page order), each version's made when first read. Memoized."""
        if self._by_version is None:
            build = self._build
            object.__setattr__(self, "_by_version", {v: Files(items, build) for v, items in self._groups.items()})
        return self._by_version


def grouped_page(name: str, files: List[Any], versions: Optional[Tuple[str, ...]], index_url: str,
                 build: Build, every: Callable[[], Tuple[Artifact, ...]]) -> LazyPage:
    """The LazyPage of project `name` (canonical) from a JSON page's raw `files`.

    A file that passes the quick checks (see the module docstring) is grouped as it is; any
    other goes through `build` at once, to be kept as an Artifact or skipped with a reason.
    `versions` None: derived from the files kept (oldest first), as for an eager page.
    Cost: about a microsecond per file."""
    groups, skipped = _grouped(name, files, build, by_object=True)
    by_value = dict(groups.values())
    if len(by_value) != len(groups):  # equal versions spelled apart ("1.0", "1.0.0"): grouped again by value
        groups, skipped = _grouped(name, files, build, by_object=False)
        by_value = dict(groups.values())
    if versions is None:
        versions = tuple(str(v) for v in sorted(by_value))
    return LazyPage(name, index_url, versions, tuple(skipped), by_value, every, build)


def _grouped(name: str, files: List[Any], build: Build, by_object: bool) -> Tuple[Dict[Any, Tuple[Version, List[Any]]], List[str]]:
    """(key -> (version, its items in page order), skip reasons in page order). Keyed by the
    Version object's id when `by_object` (hashing a Version is a Python call, and the parse
    hands out one object per version text), else by the Version."""
    groups: Dict[Any, Tuple[Version, List[Any]]] = {}
    skipped: List[str] = []
    plain = PLAIN_FILENAME.fullmatch
    for raw in files:
        version = None
        if type(raw) is dict:
            filename, href = raw.get("filename"), raw.get("url")
            if type(filename) is str and type(href) is str and href.startswith("https://") \
                    and plain(filename) is not None:
                try:
                    parsed = name_and_version(filename)
                except ValueError:
                    parsed = None
                if parsed is not None and parsed[0] == name:
                    version, item = parsed[1], raw
        if version is None:
            item = build(raw)
            if type(item) is not Artifact:
                if item is not None:
                    skipped.append(item)
                continue
            version = item.version
        key = id(version) if by_object else version  # the group holds the Version: its id stays its own
        group = groups.get(key)
        if group is None:
            groups[key] = (version, [item])
        else:
            group[1].append(item)
    return groups, skipped
