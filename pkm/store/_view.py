"""Views: one directory of hard links merging several trees, for packages that expect siblings.

    views-v1/<key>/             the merged import root of some trees, in order: each
                                tree's files (its `<name>.data/purelib|platlib`
                                lifted to the top, other `.data` left out), linked
                                to the tree's own inodes; the first tree to provide
                                a path wins (namespace `__init__.py` files repeat)
    views-v1/<key>/.pkm-view    the completion marker (JSON: version, trees, files,
                                copied, written); a view without one does not exist

The key hashes the ordered tree digests, so a view is immutable like a tree:
contexts with the same trees share it, and a context whose trees change gets
another. A view is built in `tmp/` and renamed into place under the lock
`view-<key>`. Hard links cost no space and keep the trees' read-only modes;
where a link fails (another filesystem, a link limit) the file is copied.
Bytecode compiled into the trees later is linked in by `add_bytecode`.

gc keeps a view that a live root lists (`add_root(..., views=[key])`) or that
was built or used within gc's `min_age`; other views are removed (`_maintain`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence, Set

from pkm._used import mark_used
from pkm.errors import NotFoundError
from pkm.store._atomic import atomic_write, publish_dir, remove_tree
from pkm.store._elf import import_path
from pkm.store._filelist import FILE_LIST, tree_files
from pkm.store._members import MARKER

if TYPE_CHECKING:
    from pkm.store._store import Store

__all__ = ["VIEWS", "VIEW_MARKER", "add_bytecode", "add_view", "remove_view", "view_key", "view_trees"]

VIEWS = "views-v1"
VIEW_MARKER = ".pkm-view"
_VERSION = 1


def view_key(digests: Sequence[str]) -> str:
    """The key of the view of these trees (wheel sha256 digests, in activation order)."""
    return hashlib.sha256(("pkm-view-%d\0" % _VERSION + "\0".join(digests)).encode("ascii")).hexdigest()


def view_trees(path: Path) -> Optional[List[str]]:
    """The tree digests the view at `path` merges, or None when it is incomplete or unreadable."""
    try:
        record = json.loads((Path(path) / VIEW_MARKER).read_text(encoding="utf-8"))
        if record.get("version") != _VERSION or not isinstance(record.get("trees"), list):
            return None
        return [str(d) for d in record["trees"]]
    except (OSError, ValueError, AttributeError):
        return None


def add_view(store: Store, digests: Sequence[str]) -> Path:
    """The view of the published trees `digests` (in order), built once; returns its directory.

    Raises NotFoundError if a tree is missing. Concurrent callers for one view: one
    builds, the others wait (bounded by the store's lock timeout) and reuse it. A
    leftover view without a marker is replaced. Cost: one link (or copy) per file of
    every tree, plus a walk of each tree; nothing when the view exists.
    """
    from pkm.store._store import check_sha256

    digests = [check_sha256(d) for d in digests]
    key = view_key(digests)
    final = store.bucket(VIEWS) / key
    if view_trees(final) is not None:
        mark_used(final / VIEW_MARKER)  # gc's grace period counts from the last use
        return final
    with store.lock(f"view-{key}", what=f"the view {key[:16]}"):
        if view_trees(final) is not None:
            return final
        trees = []
        for digest in digests:
            info = store.tree_info(digest)
            if info is None:
                raise NotFoundError(f"no tree {digest} in the store", hint="unpack the wheel into the store first")
            trees.append(info.path)
        if final.exists():  # a crash between rename and marker
            remove_view(store, final)
        seen: Set[str] = set()
        copied = 0
        with publish_dir(store.tmp, final, prefix=f"view-{key[:16]}-") as staging:
            for tree in trees:
                copied += _merge(tree, staging, seen)
        record = {"version": _VERSION, "trees": digests, "files": len(seen), "copied": copied, "written": time.time()}
        atomic_write(final / VIEW_MARKER, json.dumps(record, indent=1) + "\n", mode=0o444, tmp_dir=store.tmp)
    return final


def add_bytecode(store: Store, path: Path) -> None:
    """Link into the view at `path` the files its trees gained since it was built (bytecode
    compiled for an interpreter), under the view's lock; a file already there (an interpreter
    wrote its own) is kept. Cost: a walk of the view and of every tree."""
    if view_trees(path) is None:
        return
    with store.lock(f"view-{Path(path).name}", what=f"the view {Path(path).name[:16]}"):
        digests = view_trees(path)  # gc may have removed it meanwhile
        if digests is None:
            return
        seen = _present(Path(path))
        for digest in digests:
            info = store.tree_info(digest)
            if info is not None:
                _merge(info.path, Path(path), seen)


def remove_view(store: Store, path: Path) -> None:
    """Remove a view directory (caller holds its lock): renamed away first, so it disappears at once."""
    marker = Path(path) / VIEW_MARKER
    if marker.exists():
        os.unlink(marker)  # first: no reader takes a half-removed view
    doomed = store.tmp / f"evicted-view-{Path(path).name[:16]}-{os.getpid()}-{time.time_ns()}"
    os.replace(path, doomed)
    remove_tree(doomed)


def _merge(tree: Path, view: Path, seen: Set[str]) -> int:
    """Link every file of `tree` into `view` unless `seen` has its place; returns how many were copied."""
    copied = 0
    made: Set[str] = set()
    for rel, source, _st in sorted(tree_files(tree, ignore=(MARKER, FILE_LIST))):
        target = import_path(rel)
        if target is None or target in seen:
            continue
        dest = os.path.join(str(view), *target.split("/"))
        parent = os.path.dirname(dest)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        try:
            os.link(source, dest, follow_symlinks=False)
        except FileExistsError:
            pass
        except OSError:  # another filesystem, or the inode's link limit: a copy works as well
            try:
                shutil.copy2(source, dest, follow_symlinks=False)
            except FileExistsError:
                pass
            copied += 1
        seen.add(target)
    return copied


def _present(view: Path) -> Set[str]:
    return {rel for rel, _p, _st in tree_files(view, ignore=(VIEW_MARKER,))}
