"""The cache of wheels built from sdists: `builds-v1/<sdist sha256>/<key>/`, key = interpreter tag + config.

    entry = cache_entry(store, sdist_sha256, "cp311-cp311-manylinux_2_36_x86_64", {"x": "1"})
    wheel = cached_wheel(entry)            # Path or None
    publish(entry, staging_folder, name)   # staging holds the freshly built wheel

An entry folder holds exactly one wheel and `built.json` (format, wheel name, its sha256, the key's
inputs). It is published by renaming a complete folder into place, so a reader never sees half of
one; its wheel is read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Mapping, Optional

from pkm._used import mark_used

__all__ = ["BUCKET", "cache_entry", "cached_wheel", "publish", "config_key"]

BUCKET = "builds-v1"
_RECORD = "built.json"
_FORMAT = 1


def config_key(tag: str, config_settings: Optional[Mapping[str, Any]]) -> str:
    """A short stable hash of what, beside the sdist, decides the wheel: the interpreter's tag and the settings."""
    data = {"format": _FORMAT, "tag": tag, "config": config_settings or {}}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:24]


def cache_entry(store: Any, sdist_sha256: str, tag: str, config_settings: Optional[Mapping[str, Any]]) -> Path:
    """The folder of this build (whether or not it exists)."""
    return store.bucket(BUCKET) / sdist_sha256 / config_key(tag, config_settings)


def cached_wheel(entry: Path) -> Optional[Path]:
    """The wheel of a published entry, or None (absent, or its record unreadable). A hit renews the
    entry's mtime (one utime), which is what gc's max age counts from."""
    try:
        record = json.loads((entry / _RECORD).read_text(encoding="utf-8"))
        wheel = entry / record["wheel"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if record.get("format") != _FORMAT or not wheel.is_file():
        return None
    mark_used(entry)
    return wheel


def publish(entry: Path, staging: Path, wheel_name: str, inputs: Mapping[str, Any]) -> Path:
    """Move `staging` (holding `wheel_name`) into place as `entry`; returns the cached wheel.

    The caller holds the entry's lock. Cost: one hash of the wheel, a rename.
    """
    wheel = staging / wheel_name
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    record = dict(inputs, format=_FORMAT, wheel=wheel_name, sha256=digest, built=time.time())
    (staging / _RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(wheel, 0o444)
    entry.parent.mkdir(parents=True, exist_ok=True)
    if entry.exists():  # an unreadable leftover: the lock holder may replace it
        import shutil

        shutil.rmtree(entry, ignore_errors=True)
    os.replace(staging, entry)
    return entry / wheel_name
