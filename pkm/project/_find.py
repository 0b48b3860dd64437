"""Which pyproject.toml a project command acts on, found with `os.path` alone (quick commands such as
a `pkm sync` with nothing to do import no pathlib or typing; README, Development)."""

from __future__ import annotations

import os

from pkm.errors import NotFoundError
from pkm.project.settings import find_pyproject

__all__ = ["nearest_pyproject"]


def nearest_pyproject(start: str, explicit: "str | None" = None) -> str:
    """The pyproject.toml of `--project PATH` (a directory or the file), else the nearest one at or
    above `start`; resolved. Raises NotFoundError when there is none."""
    if explicit is not None:
        path = os.path.join(explicit, "pyproject.toml") if os.path.isdir(explicit) else explicit
        if not os.path.isfile(path):
            raise NotFoundError(f"no pyproject.toml at {explicit}", hint="pass a project directory to --project")
        return os.path.realpath(path)
    found = find_pyproject(start)
    if found is None:
        raise NotFoundError(f"no pyproject.toml in {start} or any directory above it",
                            hint="run it inside a project, create one with `pkm new NAME`, or pass --project PATH")
    return found
