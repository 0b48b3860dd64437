"""Runtime manifests: the versioned JSON record of one context's trees, read on the warm path.

    {"format": "pkm-runtime-1", "interpreter": "cpython-311-3.11-linux-x86_64",
     "context": {"kind": "script", "path": "/home/me/tool.py"},
     "distributions": [{"name": "rich", "version": "14.0.0", "tree": "/.../trees/<sha256>",
                        "roots": ["/.../trees/<sha256>"], "top_level": ["rich"],
                        "dist_info": "rich-14.0.0.dist-info", "requested": true}],
     "paths": [], "pth_imports": [], "on_demand": "known",
     "extensions": {"extensions": {}, "patches": {}, "override": false}}

A context with a tree that expects sibling wheels beside it (a relative ELF run
path) also has `"view": "/.../views-v1/<key>"`, one directory merging its trees,
and `"in_view": true` on each distribution the view serves (`pkm.run._view`).

Written whole (temp file + rename) by pkm's cold and on-demand paths; read by
`pkm_runtime.activate` and by the `sitecustomize` of child processes. Beside
each `<key>.json` sits `<key>.bin`, the same dict in `marshal` format: the warm
path reads that one, because importing `json` (and `re`, `enum` with it) would
cost several milliseconds of every run. The key names the interpreter version,
so a `.bin` is only ever read by the version that wrote it; any doubt falls back
to the JSON.
"""

import marshal
import os

__all__ = ["FORMAT", "ManifestError", "manifest_path", "read", "usable", "write"]

FORMAT = "pkm-runtime-1"
BUCKET = "runtime-v1"


class ManifestError(ValueError):
    """A manifest that cannot be used: unreadable, another format, or malformed."""


def manifest_path(home, key):
    return os.path.join(home, BUCKET, key + ".json")


def _binary(path):
    return path[:-len(".json")] + ".bin" if path.endswith(".json") else path + ".bin"


def read(path):
    """The manifest at `path` as a dict, or None when there is none. Raises ManifestError when
    it is unusable (the caller treats that as a cold start). Cost: one small read (marshal)."""
    try:
        with open(_binary(path), "rb") as f:
            data = marshal.loads(f.read())
        if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("distributions"), list):
            return data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    import json

    try:
        with open(path, "rb") as f:
            data = json.loads(f.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("distributions"), list):
        raise ManifestError(f"{path}: not a {FORMAT} manifest")
    return data


def usable(data, interpreter):
    """Whether a manifest serves this interpreter and every tree (and its view) it names still exists."""
    if data.get("interpreter") != interpreter:
        return False
    isdir = os.path.isdir
    view = data.get("view")
    if view and not isdir(view):
        return False
    return all(isdir(dist["tree"]) for dist in data["distributions"])


def write(path, data):
    """Write `data` at `path` (JSON) and beside it (marshal), each atomically: readers see the old
    file or the new one, never a part. The JSON goes first; a stale `.bin` is removed before it."""
    import json

    data = dict(data, format=FORMAT)
    binary = _binary(path)
    try:
        os.unlink(binary)
    except FileNotFoundError:
        pass
    _atomic(path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    _atomic(binary, marshal.dumps(data))
    return path


def _atomic(path, payload):
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
