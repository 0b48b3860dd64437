"""The meta-path finders that make a context importable: trees by top-level name, and on-demand.

`ContextFinder` sits just before the standard PathFinder: a top-level name that a
distribution of the context provides is looked up in that distribution's tree(s)
only (a namespace package spanning trees gets every portion), so the context
shadows the host environment; every other name goes on to the normal path search,
and one satisfied only by the host's site-packages is reported once on stderr.
It also answers `importlib.metadata` for the context's distributions.
`OnDemandFinder` sits at the very end and asks a callback to add a distribution
for a top-level name nothing else could import.
"""

import os
import sys
from importlib.machinery import PathFinder

__all__ = ["ContextFinder", "OnDemandFinder", "canonical"]


def canonical(name):
    """A distribution name normalized per PEP 503 (`Foo_Bar` -> `foo-bar`), without `re`."""
    out = []
    for char in name.lower():
        if char in "-_.":
            if out and out[-1] == "-":
                continue
            char = "-"
        out.append(char)
    return "".join(out)


class ContextFinder:
    """Maps top-level import names to the trees of the context's distributions."""

    def __init__(self, distributions=(), report=None):
        self._roots = {}  # top-level name -> [root, ...]
        self._dists = {}  # canonical distribution name -> dist-info directory
        self._host = None  # site-packages prefixes of the host, computed on first need
        self._reported = set()
        self._report = report
        self.add(distributions)

    def add(self, distributions):
        """Activate more distributions (manifest entries); later ones never shadow earlier ones."""
        for dist in distributions:
            roots = dist.get("roots") or [dist["tree"]]
            for name in dist.get("top_level", ()):
                known = self._roots.setdefault(name, [])
                known.extend(root for root in roots if root not in known)
            self._dists.setdefault(canonical(dist["name"]), os.path.join(dist["tree"], dist["dist_info"]))

    def provides(self, name):
        return name in self._roots

    def find_spec(self, fullname, path=None, target=None):
        if path is not None:  # a submodule: its parent's __path__ already points into the right tree
            return None
        roots = self._roots.get(fullname)
        if roots is not None:
            return PathFinder.find_spec(fullname, roots)
        spec = PathFinder.find_spec(fullname)
        if spec is not None and self._report is not None and fullname not in self._reported:
            where = self._host_dir(spec)
            if where is not None:
                self._reported.add(fullname)
                self._report(fullname, where)
        return spec

    def _host_dir(self, spec):
        origin = spec.origin if spec.has_location else None
        places = [origin] if origin else list(spec.submodule_search_locations or ())
        if self._host is None:
            import site

            dirs = list(getattr(site, "getsitepackages", lambda: [])())
            user = getattr(site, "getusersitepackages", lambda: None)()
            self._host = tuple(os.path.join(os.path.normcase(d), "") for d in dirs + ([user] if user else []))
        for place in places:
            for prefix in self._host:
                if os.path.normcase(place).startswith(prefix):
                    return prefix.rstrip(os.sep)
        return None

    def invalidate_caches(self):
        pass

    def find_distributions(self, context=None):
        """The context's distributions matching `context.name` (all when None), for importlib.metadata."""
        from importlib.metadata import PathDistribution

        name = getattr(context, "name", None)
        if name is None:
            paths = list(self._dists.values())
        else:
            found = self._dists.get(canonical(name))
            paths = [found] if found is not None else []
        from pathlib import Path

        for path in paths:
            yield PathDistribution(Path(path))


class OnDemandFinder:
    """The last finder: asks `resolve(name)` for a top-level name nothing could import.

    `resolve` returns manifest entries to activate (then the import is retried), or raises
    ModuleNotFoundError with the reason; entries marked `in_view` are served by a view the
    resolver has put on sys.path. Only imports made by the script's own code
    (`__main__`) trigger it: a library probing an optional module keeps getting a plain miss.
    """

    def __init__(self, context_finder, resolve):
        self._finder = context_finder
        self._resolve = resolve
        self._tried = set()

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname in self._tried or not _from_main():
            return None
        if fullname in getattr(sys, "stdlib_module_names", ()):
            return None
        self._tried.add(fullname)
        entries = self._resolve(fullname)
        if not entries:
            return None
        self._finder.add([entry for entry in entries if not entry.get("in_view")])
        _invalidate()
        spec = self._finder.find_spec(fullname)
        return spec if spec is not None else PathFinder.find_spec(fullname)  # served by a view on sys.path

    def invalidate_caches(self):
        self._tried.clear()


def _invalidate():
    for root in list(sys.path_importer_cache):
        finder = sys.path_importer_cache.get(root)
        if hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()


def _from_main():
    """Whether the import being resolved comes from the `__main__` module's code."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<frozen") and "importlib" not in filename:
            return frame.f_globals.get("__name__") == "__main__"
        frame = frame.f_back
    return False
