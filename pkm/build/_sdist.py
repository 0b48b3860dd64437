"""Safe sdist extraction: every member is checked (tar "data" filter semantics) before anything is written.

    root = extract_sdist(Path("alpha-1.0.tar.gz"), Path(tmp))   # -> tmp/alpha-1.0, the source tree

A member is refused (UnsafeArchiveError, nothing written) when its name breaks the store's rules
(`pkm.store.check_name`: absolute, `..`, a backslash or NUL, an empty segment); when it is a
device, FIFO or other special file; when a symbolic or hard link points outside the archive's
folder (or a hard link at nothing extracted before it); when its path runs through a symbolic link
of the archive; or when the archive is larger than the store's limits allow. Zip sdists are checked
by the store's own wheel checks (`pkm.store.check_members`). Extracted files get plain permissions
(no set-id bits, no group/other write), as the data filter gives.
"""

from __future__ import annotations

import os
import posixpath
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List

from pkm.errors import PkmError
from pkm.store import ArchiveLimits, UnsafeArchiveError, check_members, check_name, extract_members

__all__ = ["extract_sdist", "check_tar_members", "sdist_stem"]

_HINT = "the sdist is malformed or malicious: do not build it, and report it to its publisher"


def sdist_stem(filename: str) -> str:
    """`alpha-1.0.tar.gz` -> `alpha-1.0`: the file name without its archive suffix."""
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"):
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def _refuse(archive: str, name: str, reason: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"refusing to extract {archive}: member {name!r} {reason}", hint=_HINT)


def _parts(archive: str, name: str) -> tuple:
    """The path parts of a member name, by the store's name rules (a leading `./`, common in tars, allowed)."""
    while name.startswith("./"):
        name = name[2:]
    if name in ("", "."):
        return ()
    try:
        return tuple(check_name(archive, name, verb="extract").split("/"))
    except UnsafeArchiveError as exc:  # the same rule, with the sdist's hint
        raise UnsafeArchiveError(exc.what, why=exc.why, hint=_HINT) from None


def _inside(parts: tuple, link: str) -> bool:
    """Whether `link` (a symlink target, relative to the member's folder) stays inside the archive root."""
    if link.startswith("/"):
        return False
    joined = posixpath.normpath(posixpath.join("/".join(parts[:-1]) or ".", link))
    return joined != ".." and not joined.startswith("../") and not joined.startswith("/")


def check_tar_members(tar: tarfile.TarFile, archive: str,
                      limits: ArchiveLimits = ArchiveLimits()) -> List[tarfile.TarInfo]:
    """Validate every member of `tar` (named `archive` in messages); writes nothing.

    Returns the members to extract (directories, files, links). Cost: one pass over the
    archive's headers (a .tar.gz is decompressed once for it).
    """
    members = tar.getmembers()
    if len(members) > limits.max_members:
        raise UnsafeArchiveError(f"refusing to extract {archive}: it has {len(members)} members "
                                 f"(limit {limits.max_members})", hint=_HINT)
    seen: Dict[tuple, tarfile.TarInfo] = {}
    symlinks = set()
    total = 0
    for member in members:
        parts = _parts(archive, member.name)
        if not parts:
            if member.isdir():
                continue  # "./" itself
            raise _refuse(archive, member.name, "names the archive root")
        for i in range(1, len(parts)):
            if parts[:i] in symlinks:
                raise _refuse(archive, member.name, f"lies under the symbolic link {'/'.join(parts[:i])!r}")
        if member.issym():
            if not _inside(parts, member.linkname):
                raise _refuse(archive, member.name, f"is a symbolic link out of the archive ({member.linkname!r})")
            symlinks.add(parts)
        elif member.islnk():
            target = _parts(archive, member.linkname)
            if target not in seen or seen[target].isdir():
                raise _refuse(archive, member.name, f"is a hard link to {member.linkname!r}, not a file before it")
        elif member.isfile():
            if member.size > limits.max_file:
                raise _refuse(archive, member.name, f"is {member.size} bytes (limit {limits.max_file})")
            total += member.size
            if total > limits.max_total:
                raise UnsafeArchiveError(f"refusing to extract {archive}: its members add up to more than "
                                         f"{limits.max_total} bytes", hint=_HINT)
        elif not member.isdir():
            raise _refuse(archive, member.name, "is a device, FIFO or other special file")
        seen[parts] = member
    return members


def _extract_tar(path: Path, dest: Path) -> None:
    try:
        with tarfile.open(str(path), "r:*") as tar:
            members = check_tar_members(tar, path.name)
            for member in members:  # the data filter's permission rules, on every Python
                if member.isfile() or member.isdir():
                    member.mode = (member.mode | 0o600) & 0o755 if member.isfile() else 0o755
                member.uid = member.gid = 0
                member.uname = member.gname = ""
            if hasattr(tarfile, "data_filter"):  # checks again against the disk as it fills
                tar.extractall(str(dest), members=members, filter="data")
            else:  # pragma: no cover - Pythons before the filter backports; our checks above hold
                tar.extractall(str(dest), members=members)
    except (tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, getattr(tarfile, "FilterError", ())):
            raise UnsafeArchiveError(f"refusing to extract {path.name}", why=str(exc), hint=_HINT) from None
        raise PkmError(f"cannot extract {path.name}: it is not a readable tar archive", why=str(exc),
                       hint="the file is truncated or corrupt; fetch it again") from None


def _extract_zip(path: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(str(path)) as zf:
            extract_members(zf, check_members(zf, path.name, verb="extract"), dest, path.name)
    except UnsafeArchiveError as exc:
        raise UnsafeArchiveError(exc.what, why=exc.why, hint=_HINT) from None
    except zipfile.BadZipFile as exc:
        raise PkmError(f"cannot extract {path.name}: it is not a readable zip archive", why=str(exc),
                       hint="the file is truncated or corrupt; fetch it again") from None


def extract_sdist(path: Path, dest: Path) -> Path:
    """Extract the sdist at `path` into the empty folder `dest`; returns its source tree.

    The tree is the archive's single top-level folder (`name-version/`), or `dest` itself
    when the members sit at the top. Raises UnsafeArchiveError before writing anything
    for a hostile archive, PkmError for an unreadable one or one with no project in it.
    """
    path, dest = Path(path), Path(dest)
    if path.name.endswith(".zip"):
        _extract_zip(path, dest)
    else:
        _extract_tar(path, dest)
    entries = [e for e in os.listdir(str(dest))]
    root = dest / entries[0] if len(entries) == 1 and (dest / entries[0]).is_dir() else dest
    if not (root / "pyproject.toml").is_file() and not (root / "setup.py").is_file():
        raise PkmError(f"{path.name} holds no Python project",
                       why=f"no pyproject.toml or setup.py at the top of {root.name}/",
                       hint="pass an sdist made by a build backend (`name-version/pyproject.toml` inside)")
    return root
