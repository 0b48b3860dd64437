"""Building a project into a wheel, an sdist, an editable wheel or a bare .dist-info folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict

from packaging.utils import canonicalize_name

from ._archive import Entry, build_epoch, write_sdist, write_wheel
from ._files import Layout, detect_layout, glob_files, package_files, read_version, sdist_files
from ._metadata import ProjectMetadata, read_project
from ._pyproject import BuildConfig, ConfigError, load_pyproject, read_build_config

__all__ = ["Project", "load_project", "wheel", "sdist", "editable", "metadata_folder"]

GENERATOR = "pkm.backend"
TAG = "py3-none-any"


@dataclass(frozen=True)
class Project:
    """A project read and validated once: everything the builders need."""

    root: Path
    config: BuildConfig
    layout: Layout
    metadata: ProjectMetadata


def load_project(root: Path) -> Project:
    """Read pyproject.toml under `root` and validate it; raises ConfigError naming the key at fault.

    Cost: one TOML parse plus a walk of nothing but the license globs; package folders are walked later.
    """
    root = root.resolve()
    pyproject = load_pyproject(root)
    config = read_build_config(pyproject)
    project = pyproject.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    layout_box: list[Layout] = []

    def layout() -> Layout:  # only needed for a dynamic version or later for the files
        if not layout_box:
            if not isinstance(name, str):
                raise ConfigError("project.name", "is required")
            layout_box.append(detect_layout(root, canonicalize_name(name).replace("-", "_"), config))
        return layout_box[0]

    def license_glob(pattern: str, key: str) -> list[str]:
        parts = pattern.replace("\\", "/").split("/")
        if not pattern or pattern.startswith("/") or ".." in parts:
            raise ConfigError(key, f"{pattern!r} must be a relative glob inside the project, without `..`")
        return glob_files(root, pattern, key)

    metadata = read_project(pyproject, root, lambda: read_version(layout(), config), license_glob)
    return Project(root, config, layout(), metadata)


def _source(project: Project, relative: str) -> Entry:
    path = project.root / relative
    return path.read_bytes(), bool(path.stat().st_mode & 0o111)


def _dist_info(project: Project) -> Dict[str, Entry]:
    meta, prefix = project.metadata, project.metadata.dist_info
    wheel_text = f"Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    entries: Dict[str, Entry] = {
        f"{prefix}/METADATA": (meta.metadata_bytes(), False),
        f"{prefix}/WHEEL": (wheel_text.encode("utf-8"), False),
    }
    entry_points = meta.entry_points_text()
    if entry_points:
        entries[f"{prefix}/entry_points.txt"] = (entry_points.encode("utf-8"), False)
    for relative in meta.license_files:
        entries[f"{prefix}/licenses/{relative}"] = (_source(project, relative)[0], False)
    return entries


def _wheel_name(project: Project) -> str:
    return f"{project.metadata.dist_name}-{project.metadata.version}-{TAG}.whl"


def wheel(project: Project, directory: Path) -> str:
    """Build the wheel into `directory`; returns its file name."""
    entries = {dest: _source(project, source) for dest, source in package_files(project.layout, project.config).items()}
    entries.update(_dist_info(project))
    name = _wheel_name(project)
    write_wheel(Path(directory) / name, entries, project.metadata.dist_info, build_epoch())
    return name


def sdist(project: Project, directory: Path) -> str:
    """Build `name-version.tar.gz` into `directory`: PKG-INFO, pyproject.toml, sources, readme, licenses."""
    meta = project.metadata
    extra = meta.license_files + ([meta.readme_file] if meta.readme_file else [])
    entries: Dict[str, Any] = {f: _source(project, f) for f in sdist_files(project.layout, project.config, extra)}
    entries["PKG-INFO"] = (meta.metadata_bytes(), False)
    top = f"{meta.dist_name}-{meta.version}"
    write_sdist(Path(directory) / f"{top}.tar.gz", top, entries, build_epoch())
    return f"{top}.tar.gz"


def editable(project: Project, directory: Path) -> str:
    """Build a PEP 660 editable wheel: the .dist-info plus a .pth naming the source root.

    Raises ConfigError when a force-include mapping renames a folder (a path entry cannot serve it),
    unless `editable-force-include = "skip"` says the package finds those folders on its own.
    """
    layout = project.layout
    if project.config.editable_force_include == "error":
        for source, dest in sorted(project.config.force_include.items()):
            if layout.prefix + dest != source:
                raise ConfigError(
                    f"tool.pkm.build.force-include.{source!r}",
                    f"an editable install cannot map {source!r} to {dest!r}: it only puts "
                    f"{layout.source_root} on sys.path, where {source!r} keeps its own name",
                    "install without -e, or set [tool.pkm.build] editable-force-include = \"skip\" if the "
                    "package also finds the folder at its source location")
    entries = _dist_info(project)
    pth = f"{layout.source_root}\n".encode("utf-8")
    entries[f"_{project.metadata.dist_name}_editable.pth"] = (pth, False)
    name = _wheel_name(project)
    write_wheel(Path(directory) / name, entries, project.metadata.dist_info, build_epoch())
    return name


def metadata_folder(project: Project, directory: Path) -> str:
    """Write the `.dist-info` folder (as the wheel would hold it, minus RECORD) into `directory`; returns its name."""
    for name, (data, _) in _dist_info(project).items():
        target = Path(directory) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return project.metadata.dist_info
