"""pkm's own PEP 517 / PEP 660 build backend: pure-Python wheels, sdists and editables from `[project]`.

Standard library, `packaging` and (before 3.11) `tomli` only; importing it imports nothing else of pkm,
so a frontend can load it from a source tree with `backend-path = ["."]`. Use it with::

    [build-system]
    requires = ["pkm-tool"]
    build-backend = "pkm.backend"

Metadata comes from PEP 621 `[project]` (core metadata 2.4, or 2.5 when PEP 794 `import-names` /
`import-namespaces` are declared; only `version` may be dynamic, read from `__version__ = "..."`
without importing). Files come from `[tool.pkm.build]`, every key optional:

    [tool.pkm.build]
    packages = ["mypkg", "helper.py"]   # top-level import packages/modules; default: the project name
                                        # with `-` as `_`, looked up in src/ first, then the root
    exclude = ["mypkg/fixtures/**"]     # project-relative globs dropped from wheel and sdist
    include = ["tests/**", "docs/**"]   # extra project-relative globs for the sdist only
    version-file = "mypkg/_version.py"  # where a dynamic version is read (default: first package)
    editable-force-include = "error"    # or "skip": see below

    [tool.pkm.build.force-include]      # project folder or file -> path inside the wheel
    "hooks" = "mypkg/hooks"

Globs: `*` stays within a path segment, `**` spans segments, a matched folder means all its files.
Everything inside a package folder ships (package data included) except caches, VCS folders, `.pyc`
and what `exclude` matches. The sdist holds PKG-INFO, pyproject.toml, the packages, the
force-include sources at their own paths, the readme, the license files and `include`.

Editable installs (PEP 660) put one path entry in a `.pth` file: `src/` for the src layout, the
project root for the flat layout (so every top-level folder there becomes importable). A
force-include mapping that renames a folder cannot be served by a path entry, so `build_editable`
refuses it, unless `editable-force-include = "skip"` says the package finds the folder at its source
location by itself (pkm does: `pkm_runtime.locate` also looks beside the package).

Builds are reproducible: sorted entries, modes 0644/0755, timestamps from `SOURCE_DATE_EPOCH`
(default 1980-01-01), RECORD with sha256. `config_settings` are accepted and ignored. Errors are
`ConfigError` (a ValueError) whose message names the pyproject.toml key at fault and a `hint:`.
Besides the PEP 517 hooks (which build the working directory), `build(root, kind, directory)` builds
any project without changing directory, for a frontend that builds pkm-backed projects in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from ._build import editable as _editable
from ._build import load_project
from ._build import metadata_folder as _metadata_folder
from ._build import sdist as _sdist
from ._build import wheel as _wheel
from ._pyproject import ConfigError

__all__ = [
    "ConfigError",
    "build",
    "get_requires_for_build_wheel",
    "get_requires_for_build_sdist",
    "get_requires_for_build_editable",
    "prepare_metadata_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "build_wheel",
    "build_sdist",
    "build_editable",
]

ConfigSettings = Optional[Dict[str, Any]]


_BUILDERS = {"wheel": _wheel, "sdist": _sdist, "editable": _editable, "metadata": _metadata_folder}


def build(root: str | Path, kind: str, directory: str | Path) -> str:
    """Build the project at `root` into `directory` without touching the working directory.

    `kind` is "wheel", "sdist", "editable" or "metadata" (a .dist-info folder); returns the name of
    what was written. Safe to call from several threads at once, so a frontend that finds pkm's own
    backend requested may build in-process. Raises ConfigError, or OSError for unreadable sources.
    """
    if kind not in _BUILDERS:
        raise ValueError(f"unknown build kind {kind!r}; expected one of {sorted(_BUILDERS)}")
    return _BUILDERS[kind](load_project(Path(root)), Path(directory))


def _here() -> Path:
    return Path.cwd()  # PEP 517: hooks run with the source tree as the working directory


def get_requires_for_build_wheel(config_settings: ConfigSettings = None) -> List[str]:
    """Nothing beyond `[build-system] requires`."""
    return []


def get_requires_for_build_sdist(config_settings: ConfigSettings = None) -> List[str]:
    """Nothing beyond `[build-system] requires`."""
    return []


def get_requires_for_build_editable(config_settings: ConfigSettings = None) -> List[str]:
    """Nothing beyond `[build-system] requires`."""
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: ConfigSettings = None) -> str:
    """Write `<name>-<version>.dist-info/` into `metadata_directory` (no package files read); returns its name."""
    return build(_here(), "metadata", metadata_directory)


def prepare_metadata_for_build_editable(metadata_directory: str, config_settings: ConfigSettings = None) -> str:
    """The same .dist-info as for a wheel (an editable wheel carries the same metadata)."""
    return build(_here(), "metadata", metadata_directory)


def build_wheel(wheel_directory: str, config_settings: ConfigSettings = None,
                metadata_directory: Optional[str] = None) -> str:
    """Build `<name>-<version>-py3-none-any.whl` into `wheel_directory`; returns the file name."""
    return build(_here(), "wheel", wheel_directory)


def build_sdist(sdist_directory: str, config_settings: ConfigSettings = None) -> str:
    """Build `<name>-<version>.tar.gz` into `sdist_directory`; returns the file name."""
    return build(_here(), "sdist", sdist_directory)


def build_editable(wheel_directory: str, config_settings: ConfigSettings = None,
                   metadata_directory: Optional[str] = None) -> str:
    """Build a PEP 660 editable wheel (a `.pth` path entry) into `wheel_directory`; returns the file name."""
    return build(_here(), "editable", wheel_directory)
