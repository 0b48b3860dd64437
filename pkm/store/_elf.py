"""ELF run paths: which shared objects of a tree look for libraries of other wheels (`$ORIGIN/../..`).

A wheel's extension module may find the libraries of *another* wheel through a
relative DT_RUNPATH / DT_RPATH, e.g. torch's `torch/_C.so` with
`$ORIGIN/../../nvidia/cublas/lib`: it works only when both wheels share one
site-packages. Such a tree cannot be imported from its own directory; the
runtime then activates its context through a view (`_view`).

The reader uses `struct` alone: 32- and 64-bit, both byte orders; it reads the
ELF header, the program headers (PT_DYNAMIC, PT_LOAD to map DT_STRTAB to a file
offset) and falls back to the section headers (SHT_DYNAMIC and its linked string
table). A file that is not ELF, or is truncated or malformed, has no run path:
nothing here raises for bad bytes.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO, Iterable, List, Optional, Tuple

__all__ = ["import_path", "is_shared_object_name", "run_paths", "outside_run_paths"]

_PT_LOAD, _PT_DYNAMIC = 1, 2
_SHT_DYNAMIC = 6
_DT_NULL, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 0, 5, 15, 29
# Bounds that keep a hostile file cheap: real objects stay far below them.
_MAX_HEADERS = 4096
_MAX_DYNAMIC = 1 << 20
_MAX_STRING = 1 << 16


def is_shared_object_name(name: str) -> bool:
    """Whether a file name looks like a shared object (`x.so`, `libx.so.1.2`): the only files read."""
    return name.endswith(".so") or ".so." in name


class _Elf:
    """The parts of an open ELF file the run-path reader needs; raises ValueError on bad bytes."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        ident = self.read(0, 16)
        if ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) or ident[5] not in (1, 2):
            raise ValueError("not ELF")
        self.wide = ident[4] == 2
        self.order = "<" if ident[5] == 1 else ">"
        if self.wide:
            fields = self.unpack("HHIQQQIHHHHHH", 16)
        else:
            fields = self.unpack("HHIIIIIHHHHHH", 16)
        (_type, _machine, _version, _entry, self.phoff, self.shoff, _flags, _ehsize,
         self.phentsize, self.phnum, self.shentsize, self.shnum, _shstrndx) = fields

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError("negative offset")
        self.f.seek(offset)
        data = self.f.read(size)
        if len(data) != size:
            raise ValueError("truncated")
        return data

    def unpack(self, fmt: str, offset: int) -> tuple:
        layout = struct.Struct(self.order + fmt)
        return layout.unpack(self.read(offset, layout.size))

    def segments(self) -> List[Tuple[int, int, int, int]]:
        """(type, file offset, virtual address, file size) of each program header."""
        if not self.phoff or not 0 < self.phnum <= _MAX_HEADERS:
            return []
        fmt, size = ("IIQQQQQQ", 56) if self.wide else ("IIIIIIII", 32)
        if self.phentsize < size:
            raise ValueError("program header too small")
        out = []
        for i in range(self.phnum):
            fields = self.unpack(fmt, self.phoff + i * self.phentsize)
            if self.wide:
                p_type, _flags, offset, vaddr, _paddr, filesz = fields[:6]
            else:
                p_type, offset, vaddr, _paddr, filesz = fields[:5]
            out.append((p_type, offset, vaddr, filesz))
        return out

    def sections(self) -> List[Tuple[int, int, int, int]]:
        """(type, file offset, size, link) of each section header."""
        if not self.shoff or not 0 < self.shnum <= _MAX_HEADERS:
            return []
        fmt, size = ("IIQQQQIIQQ", 64) if self.wide else ("IIIIIIIIII", 40)
        if self.shentsize < size:
            raise ValueError("section header too small")
        out = []
        for i in range(self.shnum):
            _name, sh_type, _flags, _addr, offset, sh_size, link = self.unpack(fmt, self.shoff + i * self.shentsize)[:7]
            out.append((sh_type, offset, sh_size, link))
        return out

    def dynamic(self, offset: int, size: int) -> List[Tuple[int, int]]:
        """The (tag, value) entries of a dynamic table, up to DT_NULL."""
        fmt, step = ("qQ", 16) if self.wide else ("iI", 8)
        out = []
        for i in range(min(size, _MAX_DYNAMIC) // step):
            tag, value = self.unpack(fmt, offset + i * step)
            if tag == _DT_NULL:
                break
            out.append((tag, value))
        return out

    def string(self, offset: int) -> str:
        """The NUL-terminated string at `offset` (bounded)."""
        self.f.seek(offset)
        data = self.f.read(_MAX_STRING)
        end = data.find(b"\0")
        if end < 0:
            raise ValueError("unterminated string")
        return data[:end].decode("utf-8", "surrogateescape")


def _run_paths(elf: _Elf) -> List[str]:
    segments = elf.segments()
    tables: List[Tuple[List[Tuple[int, int]], Optional[int]]] = []  # (entries, string table file offset)
    for p_type, offset, _vaddr, filesz in segments:
        if p_type == _PT_DYNAMIC:
            entries = elf.dynamic(offset, filesz)
            strtab = next((v for t, v in entries if t == _DT_STRTAB), None)
            tables.append((entries, _file_offset(segments, strtab) if strtab is not None else None))
    if not tables or tables[0][1] is None:  # no program headers to go by: the section headers
        sections = elf.sections()
        for sh_type, offset, size, link in sections:
            if sh_type == _SHT_DYNAMIC and 0 <= link < len(sections):
                tables = [(elf.dynamic(offset, size), sections[link][1])]
                break
    found: List[str] = []
    for entries, strtab in tables[:1]:
        if strtab is None:
            continue
        for tag, value in entries:
            if tag in (_DT_RPATH, _DT_RUNPATH):
                found.extend(part for part in elf.string(strtab + value).split(":") if part)
    return found


def _file_offset(segments: List[Tuple[int, int, int, int]], address: int) -> Optional[int]:
    for p_type, offset, vaddr, filesz in segments:
        if p_type == _PT_LOAD and vaddr <= address < vaddr + filesz:
            return offset + (address - vaddr)
    return None


def run_paths(path: str) -> List[str]:
    """The DT_RPATH and DT_RUNPATH entries of the ELF file at `path`, in file order; [] for a
    file that is not ELF, is truncated or malformed, or cannot be read. Cost: a few small reads."""
    try:
        with open(path, "rb") as f:
            return _run_paths(_Elf(f))
    except (OSError, ValueError, struct.error, OverflowError):
        return []


def _target(rel: str, entry: str) -> Optional[str]:
    """Where the run path `entry` of the object at `rel` (POSIX, relative to its import root)
    leads, relative to that root ("" for the root, ".." when it leaves it); None when `entry`
    is not `$ORIGIN`-relative."""
    for origin in ("$ORIGIN", "${ORIGIN}"):
        if entry == origin or entry.startswith(origin + "/"):
            rest = entry[len(origin):]
            break
    else:
        return None
    parts = rel.split("/")[:-1]
    for part in rest.split("/"):
        if part == "..":
            if not parts:
                return ".."
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def import_path(rel: str) -> Optional[str]:
    """A tree's file `rel` (POSIX) as seen from its import root: `<name>.data/purelib|platlib/`
    lifted to the top, other `.data` files None (not importable). Views place files by it too."""
    top, _, rest = rel.partition("/")
    if top.endswith(".data"):
        kind, _, inner = rest.partition("/")
        return inner if kind in ("purelib", "platlib") and inner else None
    return rel


def outside_run_paths(tree: str, files: Iterable[str]) -> List[str]:
    """`"<file>: <run path>"` for each `$ORIGIN`-relative run path of the shared objects among
    `files` (POSIX paths relative to `tree`) that leads outside the tree's import root, or to a
    directory the tree does not have: a library another wheel installs beside it. Sorted; [] for
    a self-contained tree. Cost: nothing for files that are not named like shared objects; a few
    reads for each one."""
    files = list(files)
    if not any(is_shared_object_name(rel.rsplit("/", 1)[-1]) for rel in files):
        return []
    dirs = {""}
    for rel in files:
        inner = import_path(rel)
        while inner:
            inner = inner.rpartition("/")[0]
            dirs.add(inner)
    found = []
    for rel in files:
        inner = import_path(rel)
        if inner is None or not is_shared_object_name(rel.rsplit("/", 1)[-1]):
            continue
        for entry in run_paths(os.path.join(tree, *rel.split("/"))):
            target = _target(inner, entry)
            if target is not None and (target == ".." or target not in dirs):
                found.append(f"{rel}: {entry}")
    return sorted(set(found))
