"""A factory of real, deterministic wheels and sdists (and raw zip/tar archives for malicious cases).

Same inputs give the same bytes: zip and tar timestamps are fixed, members
are written in sorted order, gzip headers carry no time or name.

    wheel = make_wheel(tmp_path, "Foo.Bar", "1.0", dependencies=["idna>=3"],
                       extras={"socks": ["pysocks"]}, requires_python=">=3.9")
    # -> tmp_path / "foo_bar-1.0-py3-none-any.whl", importable as `foo_bar`
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

__all__ = [
    "make_wheel",
    "make_sdist",
    "make_zip",
    "make_tar",
    "read_zip",
    "import_name",
    "record_hash",
    "build_metadata",
]

Content = Union[bytes, str]

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
TAR_EPOCH = 0

_BACKEND_REQUIRES = {
    "setuptools.build_meta": ["setuptools>=61"],
    "pkm.backend": ["pkm-tool"],
    "setuptools.build_meta:__legacy__": ["setuptools>=61"],
    "flit_core.buildapi": ["flit_core>=3.4"],
    "hatchling.build": ["hatchling"],
    "pdm.backend": ["pdm-backend"],
    "poetry.core.masonry.api": ["poetry-core>=1"],
}


def import_name(name: str) -> str:
    """The import package a default wheel ships for distribution `name`: "Foo.Bar-baz" -> "foo_bar_baz"."""
    return canonicalize_name(name).replace("-", "_")


def record_hash(data: bytes) -> str:
    """A RECORD hash field: "sha256=" + urlsafe base64 without padding."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _bytes(content: Content) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _normal_version(version: str) -> str:
    try:
        return str(Version(version))
    except InvalidVersion:
        return version  # let bad-input tests build what they asked for


def _requires_dist(dependencies: Iterable[str], extras: Mapping[str, Iterable[str]]) -> Tuple[List[str], List[str]]:
    """Requires-Dist lines and Provides-Extra names; extra deps get `extra == "x"` and-ed to their markers."""
    lines = [str(Requirement(dep)) for dep in dependencies]
    provided = []
    for extra, deps in extras.items():
        extra_name = canonicalize_name(extra)
        provided.append(extra_name)
        for dep in deps:
            req = Requirement(dep)
            marker, req.marker = req.marker, None
            condition = f'extra == "{extra_name}"'
            lines.append(f"{req}; ({marker}) and {condition}" if marker else f"{req}; {condition}")
    return lines, provided


def build_metadata(
    name: str,
    version: str,
    *,
    metadata_version: str = "2.1",
    dependencies: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] = {},
    requires_python: Optional[str] = None,
    extra: str = "",
) -> bytes:
    """Core metadata text (METADATA / PKG-INFO) for the given fields; `extra` is appended as raw header lines."""
    requires, provided = _requires_dist(dependencies, extras)
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    lines.append(f"Summary: {name} built by the pkm test factory")
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {e}" for e in provided]
    lines += [f"Requires-Dist: {r}" for r in requires]
    text = "\n".join(lines) + "\n"
    if extra:
        text += extra if extra.endswith("\n") else extra + "\n"
    return text.encode("utf-8")


def _zip_info(name: str, mode: int = 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so external_attr carries the mode
    info.external_attr = (0o100000 | mode) << 16
    return info


def make_wheel(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    dependencies: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] = {},
    requires_python: Optional[str] = None,
    files: Optional[Mapping[str, Content]] = None,
    entry_points: Optional[Mapping[str, Mapping[str, str]]] = None,
    data: Optional[Mapping[str, Mapping[str, Content]]] = None,
    tag: str = "py3-none-any",
    metadata_extra: str = "",
    record: bool = True,
) -> Path:
    """Write a spec-correct wheel into `dest_dir` and return its path.

    `files` maps archive paths to contents (default: `<import_name>/__init__.py`
    with `__version__`); `entry_points` maps groups to {name: "mod:attr"};
    `data` maps a scheme (scripts, headers, data, purelib, platlib) to files
    under `<dist>.data/<scheme>/`; `tag` is everything after the version
    (an optional build tag included, e.g. "1-py3-none-any"); `record=False`
    leaves RECORD out (an invalid wheel, for error tests).
    """
    dist = import_name(name)
    ver = _normal_version(version)
    filename = f"{dist}-{ver}-{tag}.whl"
    parse_wheel_filename(filename)  # refuse to build a wheel no installer could name
    tags = tag.split("-")[-3:]
    if files is None:
        files = {f"{dist}/__init__.py": f'__version__ = "{version}"\n'}
    dist_info = f"{dist}-{ver}.dist-info"
    members: Dict[str, bytes] = {path: _bytes(content) for path, content in files.items()}
    for scheme, scheme_files in (data or {}).items():
        for path, content in scheme_files.items():
            members[f"{dist}-{ver}.data/{scheme}/{path}"] = _bytes(content)
    members[f"{dist_info}/METADATA"] = build_metadata(
        name, version, dependencies=dependencies, extras=extras, requires_python=requires_python, extra=metadata_extra
    )
    purelib = tags[2] == "any"
    wheel_lines = ["Wheel-Version: 1.0", "Generator: pkm-test-factory", f"Root-Is-Purelib: {str(purelib).lower()}"]
    wheel_lines += [f"Tag: {t}" for t in sorted(str(t) for t in parse_tag("-".join(tags)))]
    if tag.count("-") == 3:
        wheel_lines.append(f"Build: {tag.split('-')[0]}")
    members[f"{dist_info}/WHEEL"] = ("\n".join(wheel_lines) + "\n").encode("utf-8")
    if entry_points:
        text = ""
        for group, entries in entry_points.items():
            text += f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items()) + "\n"
        members[f"{dist_info}/entry_points.txt"] = text.encode("utf-8")
    if record:
        rows = [f"{_csv(path)},{record_hash(content)},{len(content)}" for path, content in members.items()]
        rows.append(f"{dist_info}/RECORD,,")
        members[f"{dist_info}/RECORD"] = ("\n".join(sorted(rows)) + "\n").encode("utf-8")

    def order(path: str) -> Tuple[int, bool, str]:
        # packages first, dist-info last (RECORD at the very end), as the wheel spec recommends
        return (2 if path.startswith(dist_info + "/") else 0, path == f"{dist_info}/RECORD", path)

    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / filename
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(members, key=order):
            mode = 0o755 if path.startswith(f"{dist}-{ver}.data/scripts/") else 0o644
            archive.writestr(_zip_info(path, mode), members[path])
    return target


def _csv(path: str) -> str:
    return f'"{path}"' if "," in path or '"' in path else path


def make_zip(dest: Path, members: Mapping[str, Content], symlinks: Mapping[str, str] = {}) -> Path:
    """Write a zip with exactly these member names (no checks: "../x", "/abs" welcome) and symlink entries."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as archive:
        for path, content in members.items():
            archive.writestr(_zip_info(path), _bytes(content))
        for path, target in symlinks.items():
            info = _zip_info(path)
            info.external_attr = (0o120000 | 0o777) << 16
            archive.writestr(info, target.encode("utf-8"))
    return dest


def read_zip(path: Path) -> Dict[str, bytes]:
    """Every member of a zip by name, in archive order: take a good wheel apart to tamper with it.

        members = read_zip(wheel)
        members["foo/__init__.py"] = b"evil = True\n"  # RECORD no longer matches
        make_zip(tmp_path / wheel.name, members)
    """
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def make_tar(
    dest: Path,
    members: Mapping[str, Content],
    symlinks: Mapping[str, str] = {},
    hardlinks: Mapping[str, str] = {},
    *,
    compression: str = "gz",
) -> Path:
    """Write a tar (gzip unless `compression=""`) with exactly these member names, symlinks and hard links."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, content in members.items():
            payload = _bytes(content)
            archive.addfile(_tar_info(path, tarfile.REGTYPE, size=len(payload)), io.BytesIO(payload))
        for path, target in symlinks.items():
            archive.addfile(_tar_info(path, tarfile.SYMTYPE, linkname=target))
        for path, target in hardlinks.items():
            archive.addfile(_tar_info(path, tarfile.LNKTYPE, linkname=target))
    data = raw.getvalue()
    if compression == "gz":
        out = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=TAR_EPOCH) as compressed:
            compressed.write(data)
        data = out.getvalue()
    elif compression:
        raise ValueError(f"unsupported compression {compression!r}")
    dest.write_bytes(data)
    return dest


def _tar_info(path: str, kind: bytes, *, size: int = 0, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.type = kind
    info.size = size
    info.linkname = linkname
    info.mtime = TAR_EPOCH
    info.mode = 0o755 if kind == tarfile.SYMTYPE else 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def make_sdist(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    dependencies: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] = {},
    requires_python: Optional[str] = None,
    files: Optional[Mapping[str, Content]] = None,
    build_backend: str = "setuptools.build_meta",
    pyproject: Optional[str] = None,
) -> Path:
    """Write `<name>-<version>.tar.gz` (PEP 625 name) with PKG-INFO 2.2, pyproject.toml and the package files.

    `pyproject` replaces the generated pyproject.toml verbatim; `files` maps
    paths relative to the sdist root (default: `<import_name>/__init__.py`).
    """
    dist = import_name(name)
    ver = _normal_version(version)
    stem = f"{dist}-{ver}"
    parse_sdist_filename(stem + ".tar.gz")
    dependencies = list(dependencies)
    if files is None:
        files = {f"{dist}/__init__.py": f'__version__ = "{version}"\n'}
    if pyproject is None:
        pyproject = _default_pyproject(name, version, dependencies, extras, requires_python, build_backend)
    members: Dict[str, bytes] = {f"{stem}/{path}": _bytes(content) for path, content in files.items()}
    members[f"{stem}/pyproject.toml"] = pyproject.encode("utf-8")
    members[f"{stem}/PKG-INFO"] = build_metadata(
        name, version, metadata_version="2.2", dependencies=dependencies, extras=extras, requires_python=requires_python
    )
    return make_tar(Path(dest_dir) / f"{stem}.tar.gz", dict(sorted(members.items())))


def _default_pyproject(
    name: str,
    version: str,
    dependencies: List[str],
    extras: Mapping[str, Iterable[str]],
    requires_python: Optional[str],
    build_backend: str,
) -> str:
    lines = [
        "[build-system]",
        f"requires = {_toml_list(_BACKEND_REQUIRES.get(build_backend, []))}",
        f"build-backend = {_toml_string(build_backend)}",
        "",
        "[project]",
        f"name = {_toml_string(name)}",
        f"version = {_toml_string(version)}",
    ]
    if requires_python is not None:
        lines.append(f"requires-python = {_toml_string(requires_python)}")
    lines.append(f"dependencies = {_toml_list(dependencies)}")
    if extras:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{_toml_string(extra)} = {_toml_list(deps)}" for extra, deps in extras.items()]
    return "\n".join(lines) + "\n"
