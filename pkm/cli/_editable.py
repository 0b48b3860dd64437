"""Install a project from its source tree, editable (PEP 660): `pkm install -e PATH` and `pkm sync`.

The editable wheel is built by the project's backend (pkm's own in-process, others in
an isolated build environment, see `pkm.build`) and installed with `direct_url.json`
saying `{"dir_info": {"editable": true}}` (PEP 610), so pip and uv see it as editable.
A record of the pyproject.toml it was built from lets the next sync skip the build
when nothing that shapes the wheel changed (code edits never need one: that is the
point of editable).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pkm.cli._context import Context

__all__ = ["build_editable", "install_editable", "install_editable_wheel", "wheel_requirements"]

_STAMP = ".pkm-editable.json"


def _stamp_path(target: Any) -> Path:
    return Path(target.path) / _STAMP


def _fingerprint(root: Path) -> str:
    return hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()


def build_editable(root: Path, ctx: Context, out_dir: Path) -> Path:
    """The editable wheel of the project at `root`, built into `out_dir` by its own backend."""
    from pkm.cli.build import frontend_for

    return frontend_for(ctx).build(Path(root).resolve(), "editable", out_dir)


def wheel_requirements(wheel: Path) -> list:
    """The Requires-Dist of a wheel (read from its METADATA), as Requirements."""
    import zipfile

    from packaging.metadata import Metadata

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        metadata = Metadata.from_email(archive.read(name), validate=False)
    return list(metadata.requires_dist or [])


def install_editable_wheel(wheel: Path, root: Path, target: Any, ctx: Context) -> str:
    """Install an editable wheel of `root` into `target` (direct_url.json says editable); its name."""
    from packaging.utils import canonicalize_name

    from pkm.install import Install, WheelFile, apply

    root = Path(root).resolve()
    direct_url = {"url": root.as_uri(), "dir_info": {"editable": True}}
    with WheelFile(wheel) as source:
        apply([Install(source, requested=True, direct_url=direct_url)], target.environment, link_mode="copy")
    name = canonicalize_name(wheel.name.split("-")[0])
    stamps = _read_stamps(target)
    stamps[str(root)] = {"pyproject": _fingerprint(root), "name": name}
    _stamp_path(target).write_text(json.dumps(stamps, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    ctx.console.info(f"Installed {name} from {root} (editable)")
    return name


def install_editable(root: Path, target: Any, ctx: Context) -> bool:
    """Build and install the project at `root` editable into `target`; False when already current."""
    import tempfile

    root = Path(root).resolve()
    entry = _read_stamps(target).get(str(root))
    if entry is not None and entry.get("pyproject") == _fingerprint(root) and entry.get("name") in target.installed():
        return False
    with tempfile.TemporaryDirectory(dir=str(ctx.tmp_dir())) as out:
        install_editable_wheel(build_editable(root, ctx, Path(out)), root, target, ctx)
    return True


def _read_stamps(target: Any) -> dict:
    try:
        data = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
