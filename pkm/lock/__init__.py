"""Lock files: `pylock.toml` (PEP 751) written deterministically and read back through `packaging.pylock`.

    lock = write_lock("pylock.toml", [package_from_artifacts("attrs", "25.1.0", artifacts, index=url)],
                      environments=[environment_marker(interp.markers())],
                      requires_python=single_environment_requires_python(interp.python_version))
    lock = read_lock("pylock.toml")                    # a validated packaging.pylock.Pylock
    pins = pins_from_lock(lock, marker_env=..., tags=..., lock_dir=...)   # what to install here

The model is packaging's (`Pylock`, `Package`, `PackageWheel`, ...); this
package adds the TOML writing (stdlib has none), readable errors with the file
and line, the one-environment conventions, and `Pin`: the chosen artifact of
one package, which the install pipeline consumes whether it came from a lock,
from the resolver, or from an index lookup.
"""

from __future__ import annotations

from ._file import (
    LOCK_VERSION,
    environment_marker,
    make_lock,
    parse_lock,
    parse_upload_time,
    read_lock,
    render_lock,
    single_environment_requires_python,
    write_lock,
)
from ._pins import Pin, package_from_artifacts, pins_from_lock

__all__ = [
    "LOCK_VERSION",
    "Pin",
    "environment_marker",
    "make_lock",
    "package_from_artifacts",
    "parse_lock",
    "parse_upload_time",
    "pins_from_lock",
    "read_lock",
    "render_lock",
    "single_environment_requires_python",
    "write_lock",
]
