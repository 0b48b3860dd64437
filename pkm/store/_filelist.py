"""A tree's file list: every regular file with its size, RECORD hash and executable bit.

Written when a tree is published (and again when bytecode for another interpreter is
added), next to the completion marker, so that an install reads one small file instead of
walking and stat-ing thousands. The list is as trusted as the tree: both are checked when
the wheel is unpacked, and `pkm store verify` compares the list with the files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from pkm.errors import PkmError
from pkm.store._atomic import atomic_write
from pkm.store._members import MARKER
from pkm.store._record import parse_record

__all__ = ["FILE_LIST", "make_read_only", "read_file_list", "write_file_list", "tree_files"]

FILE_LIST = ".pkm-files"
_VERSION = 1
# (path relative to the tree, size, RECORD hash or "" (bytecode, RECORD itself), executable)
Row = Tuple[str, int, str, bool]


def tree_files(root: Path, *, ignore: Tuple[str, ...] = ()) -> Iterator[Tuple[str, str, os.stat_result]]:
    """(relative POSIX path, path, lstat) of every non-directory under `root`, top-level names in
    `ignore` left out. Cost: one scandir per directory, one lstat per file."""
    pending = [("", str(root))]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if not prefix and entry.name in ignore:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    yield prefix + entry.name, entry.path, entry.stat(follow_symlinks=False)


def write_file_list(tree: Path, files: List[Tuple[str, int, bool]], *, tmp_dir: Path) -> None:
    """Write the list of `files`, (relative path, size, executable), with the hashes of the tree's RECORD."""
    hashes = {}
    for record in Path(tree).glob("*.dist-info/RECORD"):
        try:
            hashes.update((row.path, row.hash) for row in parse_record(record.read_bytes(), where=str(record)))
        except (OSError, PkmError):
            pass  # the tree was checked against it on unpack; a list without hashes is still right
    rows = [[rel, size, hashes.get(rel, ""), executable] for rel, size, executable in sorted(files)]
    atomic_write(Path(tree) / FILE_LIST, json.dumps({"version": _VERSION, "files": rows}, separators=(",", ":")),
                 mode=0o444, tmp_dir=tmp_dir)


def read_file_list(tree: Path) -> Optional[List[Row]]:
    """The tree's file list, or None when it has none (older trees) or it is unreadable."""
    try:
        with open(os.path.join(tree, FILE_LIST), "rb") as f:
            data = json.loads(f.read())
        if data.get("version") != _VERSION:
            return None
        return [(str(rel), int(size), str(digest), bool(executable)) for rel, size, digest, executable in data["files"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def make_read_only(root: Path, executables: set[str]) -> list:
    """Drop write permission from every file under `root` (directories stay writable,
    so other interpreters can add bytecode and eviction can rename); returns every file as
    (relative path, size, executable), the store's own files left out."""
    files = []
    for rel, path, st in tree_files(root, ignore=(MARKER, FILE_LIST)):
        mode = 0o555 if path in executables or st.st_mode & 0o100 else 0o444
        if (st.st_mode & 0o777) != mode:
            os.chmod(path, mode)
        files.append((rel, st.st_size, mode == 0o555))
    return files
