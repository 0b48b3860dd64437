"""Build an sdist and a wheel of a project (PEP 517), each in an isolated build environment.

By default the sdist is built first and the wheel is built FROM that sdist (as `python -m build`
does), so what the wheel holds is what users of the sdist will get. `--sdist` or `--wheel` builds
only that (`--wheel` alone builds straight from the source tree). Given an sdist (.tar.gz or .zip),
its wheel is built. Build requirements are resolved from the configured index, kept in the store
and reused; wheels built from an sdist are cached by the sdist's sha256, so building the same
sdist again takes no time. Projects using pkm's own backend are built by the running pkm directly.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import PkmError, UsageError

__all__ = ["add_arguments", "run", "IndexProvisioner", "SdistBuilder", "frontend_for", "parse_config_settings"]

_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".zip")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", default=".", metavar="PATH|SDIST",
                        help="the project folder (default: the current one), or an sdist to build a wheel from")
    parser.add_argument("--sdist", action="store_true", help="build the sdist only")
    parser.add_argument("--wheel", action="store_true",
                        help="build the wheel only (from the source tree; from the sdist when given one)")
    parser.add_argument("-o", "--out-dir", type=Path, metavar="DIR",
                        help="where to write the files (default: PATH/dist, or the sdist's own folder)")
    parser.add_argument("-C", "--config-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="a config setting passed to the backend (repeatable; a key given twice gets a list)")
    add_index_options(parser)


def parse_config_settings(values: Sequence[str]) -> Dict[str, Any]:
    """`["a=1", "b", "a=2"]` -> `{"a": ["1", "2"], "b": ""}` (as pypa/build passes them)."""
    settings: Dict[str, Any] = {}
    for value in values:
        key, _, setting = value.partition("=")
        if not key:
            raise UsageError(f"invalid config setting {value!r}",
                             hint="write -C KEY=VALUE, e.g. -C editable-mode=strict")
        if key in settings:
            before = settings[key]
            settings[key] = (before if isinstance(before, list) else [before]) + [setting]
        else:
            settings[key] = setting
    return settings


def _sha256(path: Path) -> str:
    from pkm.store import hash_file

    return hash_file(path)[0]


class IndexProvisioner:
    """`pkm.build.Provisioner` over pkm's resolver and the configured index: build requirements ->
    pins -> store trees. An sdist-only build requirement is built by `frontend` (its cache first),
    with the chain passed on, so a build-dependency cycle is reported instead of recursing."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.frontend: Any = None  # set once the Frontend that uses this provisioner exists

    def provision(self, requirements: Sequence[Any], interpreter: Any, chain: Tuple[str, ...]) -> List[Path]:
        from pkm.cli._materialize import _prepare_trees
        from pkm.cli._resolve import explained, to_pins
        from pkm.resolver import NoResolution, Options, Target, resolve

        if not requirements:
            return []
        store, console = self.ctx.store(), self.ctx.console
        try:
            resolution = resolve(list(requirements), self.ctx.index(), Target.from_interpreter(interpreter),
                                 Options(tmp_dir=self.ctx.tmp_dir()))
        except NoResolution as error:
            failure = explained(error)
            raise PkmError(f"cannot set up the build environment of {chain[-1] if chain else 'the project'}: "
                           f"its build requirements cannot be resolved", why=failure.why, hint=failure.hint) from None
        pins = to_pins(resolution)
        wheels = [pin for pin in pins if pin.is_wheel]
        digests = dict(_prepare_trees(wheels, store, self.ctx.http(), console, interpreter)) if wheels else {}
        by_name = {p.name: p for p in resolution.packages}
        for pin in pins:
            if not pin.is_wheel:
                digests[pin.name] = self._built(by_name[pin.name].artifact, pin, chain)
        return [store.tree_path(digests[pin.name]) for pin in pins]

    def _built(self, artifact: Any, pin: Any, chain: Tuple[str, ...]) -> str:
        """The sha256 of the wheel built from this sdist pin, its tree in the store."""
        return SdistBuilder(self.ctx, frontend=self.frontend).tree_of_artifact(artifact, pin.sha256, chain=chain)


class SdistBuilder:
    """Wheels from sdists for one interpreter, through the frontend's cache (`builds-v1`).

    What the installer calls for an sdist pin (`tree_of_sdist`), and the resolver for an
    sdist whose metadata is not static (`metadata`): each sdist is built once per
    interpreter, then served from the cache.
    """

    def __init__(self, ctx: Context, interpreter: Any = None, *, frontend: Any = None) -> None:
        self.ctx = ctx
        self._interpreter = interpreter
        self._frontend = frontend

    @property
    def frontend(self) -> Any:
        if self._frontend is None:
            self._frontend = frontend_for(self.ctx, self._interpreter)
        return self._frontend

    def tree_of_sdist(self, sdist: Path, sha256: str, filename: str = "", chain: Tuple[str, ...] = ()) -> str:
        """The sha256 of the wheel built from `sdist`, that wheel's tree now in the store.

        `filename` is the sdist's own name when `sdist` is a store blob (named by its hash):
        builds, logs and messages need the real name."""
        import tempfile

        store = self.ctx.store()
        sdist = Path(sdist)
        if filename and sdist.name != filename:
            folder = Path(tempfile.mkdtemp(prefix="sdist-", dir=str(store.tmp)))
            try:
                named = folder / filename
                try:
                    os.link(sdist, named)
                except OSError:
                    shutil.copyfile(sdist, named)
                return self.tree_of_sdist(named, sha256, chain=chain)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        wheel = self.frontend.wheel_from_sdist(sdist, sha256 or _sha256(sdist), chain=chain)
        digest = _sha256(wheel)
        store.add_blob(wheel, digest)
        store.add_tree(store.blob_path(digest), digest, filename=wheel.name)
        return digest

    def _fetched(self, artifact: Any, folder: Path) -> Path:
        return Path(self.ctx.index().fetch_artifact(artifact, folder))

    def tree_of_artifact(self, artifact: Any, sha256: Any, chain: Tuple[str, ...] = ()) -> str:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="build-req-", dir=str(self.ctx.store().tmp)))
        try:
            return self.tree_of_sdist(self._fetched(artifact, folder), sha256, chain=chain)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def metadata(self, artifact: Any) -> Any:
        """The core metadata of the sdist `artifact`, from the wheel built of it (cached)."""
        import tempfile
        import zipfile

        from packaging.metadata import Metadata

        folder = Path(tempfile.mkdtemp(prefix="build-meta-", dir=str(self.ctx.store().tmp)))
        try:
            sdist = self._fetched(artifact, folder)
            wheel = self.frontend.wheel_from_sdist(sdist, artifact.sha256 or _sha256(sdist))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
            return Metadata.from_email(archive.read(name), validate=False)


def frontend_for(ctx: Context, interpreter: Any = None) -> Any:
    """A `pkm.build.Frontend` for `interpreter` (default: the one running pkm), provisioning from ctx's index."""
    from pkm.build import Frontend
    from pkm.env import probe

    if interpreter is None:
        interpreter = probe(sys.executable, cache_dir=os.path.join(ctx.settings.home, "interpreters-v1"))
    provisioner = IndexProvisioner(ctx)
    frontend = Frontend(ctx.store(), interpreter, provisioner, on_event=ctx.console.info)
    provisioner.frontend = frontend
    return frontend


def _deliver(wheel: Path, out_dir: Path) -> Path:
    """Copy a cached wheel into the output folder (the cache keeps its read-only copy)."""
    target = out_dir / wheel.name
    if target.exists() or target.is_symlink():
        target.unlink()
    shutil.copyfile(wheel, target)
    return target


def run(args: argparse.Namespace, ctx: Context) -> int:
    source = Path(args.source)
    config = parse_config_settings(args.config_setting)
    is_sdist = source.name.endswith(_SDIST_SUFFIXES)
    if is_sdist and not source.is_file():
        raise UsageError(f"no sdist at {source}", hint="pass an existing .tar.gz, or a project folder")
    if not is_sdist and not source.is_dir():
        raise UsageError(f"{source} is neither a project folder nor an sdist (.tar.gz)",
                         hint="pass the folder holding pyproject.toml, or an sdist file")
    if is_sdist and args.sdist:
        raise UsageError("--sdist cannot build from an sdist", hint=f"drop --sdist to build the wheel of {source.name}")
    if not is_sdist:
        _refuse_virtual_root(source)
    out_dir = (args.out_dir or (source.parent if is_sdist else source / "dist")).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    frontend = frontend_for(ctx)
    built: List[Tuple[str, Path]] = []
    if is_sdist:
        wheel = frontend.wheel_from_sdist(source.resolve(), _sha256(source), config)
        built.append(("wheel", _deliver(wheel, out_dir)))
    else:
        kinds = ["sdist", "wheel"] if args.sdist == args.wheel else ["sdist"] if args.sdist else ["wheel"]
        if kinds == ["sdist", "wheel"]:
            sdist = frontend.build(source, "sdist", out_dir, config)
            built.append(("sdist", sdist))
            wheel = frontend.wheel_from_sdist(sdist, _sha256(sdist), config)
            built.append(("wheel", _deliver(wheel, out_dir)))
        else:
            built.append((kinds[0], frontend.build(source, kinds[0], out_dir, config)))
    lines = [f"Built {_shown(path)}" for _, path in built]
    data = [{"kind": kind, "file": str(path), "sha256": _sha256(path)} for kind, path in built]
    ctx.console.summary("\n".join(lines), data=data)
    return 0


def _refuse_virtual_root(source: Path) -> None:
    """A virtual workspace root is no package: building it would make a nameless setuptools one."""
    pyproject = source / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return
    if "workspace" not in text:  # the cheap test first: most projects never parse twice
        return
    from pkm.project import parse_project

    project = parse_project(text, pyproject)
    if project.virtual:
        members = ", ".join(str(m.root.relative_to(source.resolve())) for m in _members(project)) or "none"
        raise UsageError(f"{source} is a virtual workspace root: there is no package to build",
                         why=f"its pyproject.toml has [tool.pkm.workspace] but no [project]; its members: {members}",
                         hint="build a member: `pkm build packages/NAME`")


def _members(project):
    from pkm.project import in_workspace

    try:
        return in_workspace(project).members
    except Exception:  # a broken member is reported by the commands that use them
        return ()


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative
