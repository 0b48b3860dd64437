"""The roots registry: who uses which blobs and trees, so gc knows what to keep."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from pkm.errors import PkmError
from pkm.store._atomic import atomic_write

if TYPE_CHECKING:
    from pkm.store._store import Store

__all__ = ["Root", "add_root", "remove_root", "read_roots", "ROOT_VERSION"]

ROOT_VERSION = 1
_KIND = re.compile(r"[a-z][a-z0-9-]{0,31}")


@dataclass(frozen=True)
class Root:
    """One registered user of the store.

    `path` is what keeps the root alive (an environment directory, a lock
    file, a runtime manifest); `record` is the root's file under `roots/`.
    `readable` is False for a record that could not be parsed (gc drops it).
    """

    path: Path
    kind: str
    trees: frozenset
    blobs: frozenset
    record: Path
    readable: bool = True
    views: frozenset = frozenset()  # keys of views (`_view`) under views-v1/

    @property
    def alive(self) -> bool:
        return self.readable and os.path.exists(self.path)


def _record_path(store: Store, path: Path) -> Path:
    key = hashlib.sha256(os.fsencode(str(path))).hexdigest()[:32]
    return store.root / "roots" / f"{key}.json"


def _digests(values: Iterable[str], what: str) -> list[str]:
    from pkm.store._store import check_sha256

    if isinstance(values, str):
        raise PkmError(f"root {what} must be a list of sha256 digests, not one string")
    return sorted({check_sha256(v) for v in values})


def add_root(store: Store, path: Path, kind: str, *, trees: Iterable[str] = (), blobs: Iterable[str] = (),
             views: Iterable[str] = ()) -> Path:
    """Record that `path` (made absolute) uses these trees, blobs and views, replacing any earlier record.

    Call it again whenever the set changes; the record is written atomically.
    Returns the record's path.
    """
    if not _KIND.fullmatch(kind):
        raise PkmError(f"not a root kind: {kind!r}", hint="use a short lower-case word such as `environment`")
    store.ensure()
    path = Path(os.path.abspath(path))
    record = {"version": ROOT_VERSION, "path": str(path), "kind": kind,
              "trees": _digests(trees, "trees"), "blobs": _digests(blobs, "blobs")}
    views = _digests(views, "views")
    if views:  # only then: records without views stay as older pkm wrote them
        record["views"] = views
    return atomic_write(_record_path(store, path), json.dumps(record, indent=1) + "\n")


def remove_root(store: Store, path: Path) -> bool:
    """Forget the root at `path`; returns whether there was one."""
    try:
        os.unlink(_record_path(store, Path(os.path.abspath(path))))
        return True
    except FileNotFoundError:
        return False


def read_roots(store: Store) -> list[Root]:
    """Every registered root, sorted by path; unparseable records come back with `readable=False`."""
    folder = store.root / "roots"
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return []
    roots = []
    for name in names:
        record_path = folder / name
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            if record.get("version") != ROOT_VERSION:
                raise ValueError("unknown version")
            roots.append(Root(Path(record["path"]), str(record["kind"]), frozenset(record["trees"]),
                              frozenset(record["blobs"]), record_path, views=frozenset(record.get("views", ()))))
        except FileNotFoundError:
            continue  # removed while we listed
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            roots.append(Root(record_path, "unreadable", frozenset(), frozenset(), record_path, readable=False))
    return sorted(roots, key=lambda r: str(r.path))
