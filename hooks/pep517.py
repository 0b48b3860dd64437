"""PEP 517 hook runner: run by a build environment's Python to call one backend hook, JSON files in and out.

Usage: `python pep517.py HOOK_NAME CONTROL_DIR`, with the source tree as the working directory.

Reads `CONTROL_DIR/input.json`:
    {"kwargs": {...}, "backend": "module.path:object", "backend_path": ["relative/dir", ...]}
and writes `CONTROL_DIR/output.json` (always with "runner": 1, the format version), one of:
    {"return_val": ...}                                  the hook returned
    {"unsupported": true, "hook": NAME}                  an optional hook is missing (the frontend falls
                                                         back as PEP 517 says), or build_sdist raised the
                                                         backend's UnsupportedOperation (+ "traceback")
    {"hook_missing": NAME}                               a mandatory hook (build_wheel, build_sdist) is missing
    {"exception": "Type: message", "traceback": "..."}   the hook raised
    {"backend_unavailable": "message", "traceback": ...} the backend could not be imported
    {"backend_invalid": "message"}                       a backend-path entry leaves the source tree, or the
                                                         backend was not loaded from backend-path
Exit status 0 whenever output.json was written; 2 for bad usage or an unreadable input.json (no
output.json then).

Stdlib only, no pkm imports; removes its own folder from sys.path first. The backend's own stdout and
stderr go to this process's stdout and stderr (the frontend captures them to a log); the JSON only
ever goes to the file, written to a temporary name and renamed, so a crash never leaves half of it.
"""

from __future__ import annotations

import os  # os and sys are loaded before any script runs: nothing can shadow them
import sys

if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import importlib  # noqa: E402 - only now that our folder is off sys.path
import json  # noqa: E402
import traceback  # noqa: E402

FORMAT = 1
OPTIONAL = (
    "get_requires_for_build_wheel",
    "get_requires_for_build_sdist",
    "get_requires_for_build_editable",
    "prepare_metadata_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "build_editable",
)
MANDATORY = ("build_wheel", "build_sdist")


class _Refused(Exception):
    """The runner will not load the backend; `key` is the output.json key that says why."""

    def __init__(self, key, message, trace=None):
        super().__init__(message)
        self.key = key
        self.message = message
        self.trace = trace


def _backend_path(entries):
    """Absolute backend-path entries; each must stay inside the source tree (the working directory)."""
    tree = os.path.realpath(os.getcwd())
    out = []
    for entry in entries:
        full = os.path.realpath(os.path.join(tree, entry))
        if os.path.commonpath([tree, full]) != tree:
            raise _Refused("backend_invalid", "backend-path entry %r is outside the source tree %s" % (entry, tree))
        out.append(full)
    return out


def _load_backend(spec, backend_path):
    module_name, _, object_path = spec.partition(":")
    paths = _backend_path(backend_path)
    sys.path[:0] = paths  # in-tree backends win over anything installed
    try:
        backend = importlib.import_module(module_name)
    except BaseException as exc:  # an ImportError, or whatever the backend raised (even SystemExit) on import
        raise _Refused("backend_unavailable", "cannot import %r: %s: %s" % (module_name, type(exc).__name__, exc),
                       traceback.format_exc())
    if paths:  # PEP 517: with backend-path, the backend must come from there
        files = [backend.__file__] if getattr(backend, "__file__", None) else list(getattr(backend, "__path__", []))
        origins = [os.path.realpath(f) for f in files]
        if not any(os.path.commonpath([p, o]) == p for p in paths for o in origins):
            raise _Refused("backend_invalid", "backend %r was loaded from %s, not from backend-path %s"
                           % (module_name, ", ".join(origins) or "nowhere", paths))
    try:
        for part in filter(None, object_path.split(".")):
            backend = getattr(backend, part)
    except AttributeError as exc:
        raise _Refused("backend_unavailable", "backend %r has no object %r: %s" % (module_name, object_path, exc))
    return backend


def call(hook_name, hook_input):
    """Run one hook as described by `hook_input`; returns the dict for output.json. Never raises for backend faults."""
    try:
        backend = _load_backend(hook_input["backend"], hook_input.get("backend_path") or [])
    except _Refused as refused:
        out = {refused.key: refused.message}
        if refused.trace:
            out["traceback"] = refused.trace
        return out
    hook = getattr(backend, hook_name, None)
    if hook is None:
        return {"unsupported": True, "hook": hook_name} if hook_name in OPTIONAL else {"hook_missing": hook_name}
    unsupported = getattr(backend, "UnsupportedOperation", None)
    try:
        return {"return_val": hook(**hook_input.get("kwargs", {}))}
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from a backend are failures too
        trace = traceback.format_exc()
        if isinstance(unsupported, type) and isinstance(exc, unsupported) and hook_name == "build_sdist":
            return {"unsupported": True, "hook": hook_name, "traceback": trace}
        return {"exception": "%s: %s" % (type(exc).__name__, exc), "traceback": trace}


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def main(argv):
    if len(argv) != 3 or argv[1] not in OPTIONAL + MANDATORY:
        sys.stderr.write("usage: pep517.py HOOK_NAME CONTROL_DIR (HOOK_NAME one of %s)\n"
                         % ", ".join(OPTIONAL + MANDATORY))
        return 2
    control = argv[2]
    try:
        with open(os.path.join(control, "input.json"), encoding="utf-8") as f:
            hook_input = json.load(f)
        if not isinstance(hook_input, dict) or not isinstance(hook_input.get("backend"), str):
            raise ValueError("input.json must be an object with a \"backend\" string")
    except (OSError, ValueError) as exc:
        sys.stderr.write("pep517.py: cannot read %s: %s\n" % (os.path.join(control, "input.json"), exc))
        return 2
    result = call(argv[1], hook_input)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        result["runner"] = FORMAT
        _write(os.path.join(control, "output.json"), result)
    except (TypeError, ValueError) as exc:  # a return value JSON cannot hold
        _write(os.path.join(control, "output.json"), {
            "runner": FORMAT, "exception": "the hook returned a value JSON cannot hold: %s" % exc, "traceback": ""})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
