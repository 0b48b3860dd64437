"""The seam where dependency resolution plugs into `pkm install`: requirements in, pins out.

`resolve_pins` is what `pkm install` calls without `--no-deps`. It stands here
alone so that the resolver can be wired in by replacing this one function:
it receives every requirement (with constraints applied), the target
interpreter (for markers, tags and requires-python) and the index, and returns
one `pkm.lock.Pin` per package to install, dependencies included.
"""

from __future__ import annotations

from typing import Any, List, Sequence

from pkm.errors import PkmError

__all__ = ["resolve_pins"]


def resolve_pins(requirements: Sequence[Any], interpreter: Any, index: Any, *, constraints: Sequence[Any] = (),
                 only_binary: bool = False, prereleases: bool = False) -> List[Any]:
    """Pins for `requirements` and all their dependencies, for `interpreter`, from `index`.

    `requirements` and `constraints` are `packaging.requirements.Requirement`s whose markers
    already hold for the interpreter. Raises PkmError when no resolution exists.
    """
    raise PkmError("resolving dependencies needs the resolver, which is not built yet",
                   hint="pass --no-deps and name every package, or install from a lock with --lock")
