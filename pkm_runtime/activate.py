"""Activate a manifest in this interpreter: finders, path entries, extensions, and inheritance by children.

    finder = activate(manifest, path="/.../runtime-v1/<key>.json", on_demand=callback)

A context whose manifest names a view (a directory merging its trees, for
packages that expect siblings in one site-packages) gets that one directory on
sys.path, ahead of the host's site-packages; the finder serves the rest.

After it, the context's distributions import ahead of the host environment's,
`importlib.metadata` sees them, the project's extensions are armed, and child
processes started with this interpreter (`subprocess`, `multiprocessing` spawn)
activate the same manifest through `sitecustomize/` on PYTHONPATH.
"""

import os
import sys
from importlib.machinery import PathFinder

from .finder import ContextFinder, OnDemandFinder

__all__ = ["ENV_MANIFEST", "activate", "current", "deactivate", "use_view"]

ENV_MANIFEST = "PKM_RUNTIME_MANIFEST"
_active = []
_views = []


def current():
    """The ContextFinder activated in this process, or None."""
    return _active[0] if _active else None


def deactivate():
    """Take this process's context finders off the import system (modules already imported stay).

    For `python -m pkm.run` started by a script that ran in another context: the child's
    sitecustomize activated the parent's context, and the child's own must replace it."""
    for finder in list(sys.meta_path):
        if isinstance(finder, (ContextFinder, OnDemandFinder)):
            sys.meta_path.remove(finder)
    for view in _views:
        if view in sys.path:
            sys.path.remove(view)
    del _active[:], _views[:]


def _report_host(name, where):
    sys.stderr.write(f"pkm: '{name}' was imported from the host environment ({where}), not from the "
                     "script's context; declare it so the script runs anywhere\n")


def activate(manifest, path=None, on_demand=None, report=True):
    """Put the manifest's distributions on the import system (once per process); returns the finder.

    `path` is the manifest's file, exported to child processes (None: children inherit
    nothing). `on_demand(name)` returns manifest entries for an import nothing provides,
    or raises ModuleNotFoundError. `report` names imports served by the host environment.
    Raises `pkm_runtime.extensions.ExtensionError` when a declared extension cannot apply.
    Cost: one dict insertion per top-level name; no file is opened here. With a view: one
    sys.path insertion instead, for the distributions it serves.
    """
    if _active:
        return _active[0]
    distributions = manifest.get("distributions", ())
    if manifest.get("view"):
        distributions = [dist for dist in distributions if not dist.get("in_view")]
        use_view(manifest["view"])
    finder = ContextFinder(distributions, report=_report_host if report else None)
    meta = sys.meta_path
    position = next((i for i, f in enumerate(meta) if f is PathFinder), len(meta))
    meta.insert(position, finder)
    if on_demand is not None:
        meta.append(OnDemandFinder(finder, on_demand))
    for entry in manifest.get("paths", ()):
        if entry not in sys.path:
            sys.path.append(entry)
    for line in manifest.get("pth_imports", ()):
        try:
            exec(line, {"__name__": "__pth__"})  # an allow-listed `.pth` import line
        except Exception:  # noqa: BLE001 - a .pth line never stops start-up, as in site.py
            pass
    _active.append(finder)
    if path is not None:
        _export(path)
    extensions = manifest.get("extensions") or {}
    if extensions.get("extensions") or extensions.get("patches"):
        from .extensions import install

        install(extensions.get("extensions", {}), extensions.get("patches", {}),
                override=bool(extensions.get("override")))
    return finder


def use_view(view):
    """Put a view (a directory merging a context's trees) on sys.path, ahead of the host's
    site-packages; `deactivate` takes it off again."""
    if view not in sys.path:
        sys.path.insert(_before_site_packages(), view)
        _views.append(view)


def _before_site_packages():
    """The sys.path index of the host's first site-packages directory (len(sys.path) if none):
    a view goes there, after the script's directory and the standard library, before the host."""
    import site

    dirs = list(getattr(site, "getsitepackages", lambda: [])())
    user = getattr(site, "getusersitepackages", lambda: None)()
    host = {os.path.normcase(os.path.abspath(d)) for d in dirs + ([user] if user else [])}
    for index, entry in enumerate(sys.path):
        if entry and os.path.normcase(os.path.abspath(entry)) in host:
            return index
    return len(sys.path)


def _export(path):
    """Make children activate the same manifest: the variable plus sitecustomize/ on PYTHONPATH."""
    from . import locate

    os.environ[ENV_MANIFEST] = path
    here = locate("sitecustomize")
    entries = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if here not in entries:
        os.environ["PYTHONPATH"] = os.pathsep.join([here] + entries)
