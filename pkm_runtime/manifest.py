"""Runtime manifests: the versioned JSON record of one context's trees, read on the warm path.

    {"format": "pkm-runtime-1", "interpreter": "cpython-311-3.11-linux-x86_64",
     "context": {"kind": "script", "path": "/home/me/tool.py"},
     "distributions": [{"name": "rich", "version": "14.0.0", "tree": "/.../trees/<sha256>",
                        "roots": ["/.../trees/<sha256>"], "top_level": ["rich"],
                        "dist_info": "rich-14.0.0.dist-info", "requested": true}],
     "paths": [], "pth_imports": [], "on_demand": "known",
     "extensions": {"extensions": {}, "patches": {}, "override": false}}

Written whole (temp file + rename) by pkm's cold and on-demand paths; read by
`pkm_runtime.activate` and by the `sitecustomize` of child processes.
"""

import json
import os

__all__ = ["FORMAT", "ManifestError", "manifest_path", "read", "usable", "write"]

FORMAT = "pkm-runtime-1"
BUCKET = "runtime-v1"


class ManifestError(ValueError):
    """A manifest that cannot be used: unreadable, another format, or malformed."""


def manifest_path(home, key):
    return os.path.join(home, BUCKET, key + ".json")


def read(path):
    """The manifest at `path` as a dict, or None when there is none. Raises ManifestError when
    it is unusable (the caller treats that as a cold start). Cost: one small JSON read."""
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
    """Whether a manifest serves this interpreter and every tree it names still exists."""
    if data.get("interpreter") != interpreter:
        return False
    isdir = os.path.isdir
    return all(isdir(dist["tree"]) for dist in data["distributions"])


def write(path, data):
    """Write `data` at `path` atomically (readers see the old file or the new one, never a part)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(dict(data, format=FORMAT), f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
