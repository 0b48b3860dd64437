"""The cold path's choice between the finder and a view: a context whose trees expect siblings gets a view.

Most contexts activate through `pkm_runtime.finder` (top-level names mapped to
trees; nothing written). A tree whose shared objects find libraries outside it
through a relative run path (`$ORIGIN/../..`, see `pkm.store._elf`) only loads
beside its sibling wheels in one directory: then the context's trees are merged
into a view (`pkm.store._view`) and the manifest records it:

    "view": "/.../views-v1/<key>"          one sys.path entry on the warm path
    distributions[i]["in_view"]: true      served by the view, not by the finder

A distribution added on demand (`_cold.add`) goes through the same choice: the context's
new manifest gets a view of all its trees when one needs it, and the running script puts
that view on sys.path (`pkm_runtime.activate.use_view`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List

__all__ = ["attach_view"]


def attach_view(data: Dict[str, Any], store: Any) -> List[str]:
    """Give the manifest `data` a view when one of its trees needs siblings; returns the run
    paths that called for it (`"<file>: <run path>"`, empty: no view, `data` unchanged).

    Cost: one marker read per tree (the answer is computed when a tree is unpacked); with a
    view, one hard link per file of the context the first time (`Store.add_view`).
    """
    dists = data.get("distributions") or []
    digests = [Path(d["tree"]).name for d in dists]
    reasons = [f"{d['name']}: {why}" for d, digest in zip(dists, digests) for why in store.outside_run_paths(digest)]
    if not reasons:
        return []
    view = str(store.add_view(digests))
    # `.pth` entries move from each tree, or from the view an on-demand addition replaces, to the new view
    moved = [r for d in dists for r in d.get("roots") or [d["tree"]]] + ([data["view"]] if data.get("view") else [])
    roots = sorted(((r, view) for r in moved), key=lambda rv: -len(rv[0]))
    data["paths"] = [_moved(p, roots) for p in data.get("paths", ())]
    for dist in dists:
        dist["in_view"] = True
    data["view"] = view
    return reasons


def _moved(path: str, roots: List[Any]) -> str:
    """A `.pth` path entry inside a tree, as the same directory inside the view."""
    for root, view in roots:
        if path == root or path.startswith(root + os.sep):
            rest = os.path.relpath(path, root)
            return view if rest == os.curdir else os.path.join(view, rest)
    return path
