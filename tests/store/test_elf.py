"""The ELF run-path reader: real objects from gcc, synthetic ones of every class and byte order, and bad bytes."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from pkm.store._elf import is_shared_object_name, outside_run_paths, run_paths


def _gcc() -> str:
    found = shutil.which("gcc")
    if found is None:
        pytest.fail("gcc is not on PATH: these tests build shared objects at test time; install gcc")
    return found


def _shared(path, *flags):
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.parent / "src.c"
    source.write_text("int answer(void) { return 42; }\n")
    done = subprocess.run([_gcc(), "-shared", "-fPIC", "-o", str(path), str(source), *flags],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    source.unlink()
    return path


def _elf(wide: bool, little: bool, rpath: str = "", runpath: str = "", sections_only: bool = False) -> bytes:
    """A minimal ELF shared object: one PT_LOAD (mapped at 0x10000), PT_DYNAMIC, a string table;
    or, with `sections_only`, no program headers but SHT_DYNAMIC linked to a SHT_STRTAB section."""
    order = "<" if little else ">"
    strings = b"\0"
    offsets = {}
    for value in (rpath, runpath):
        if value:
            offsets[value] = len(strings)
            strings += value.encode() + b"\0"
    ehsize, phsize, shsize = (64, 56, 64) if wide else (52, 32, 40)
    dyn_fmt = order + ("qQ" if wide else "iI")
    base = 0x10000
    phnum = 0 if sections_only else 2
    phoff = ehsize
    strtab_off = phoff + phnum * phsize
    dyn_off = strtab_off + len(strings) + (-len(strings)) % 8
    entries = [(5, base + strtab_off)]
    if rpath:
        entries.append((15, offsets[rpath]))
    if runpath:
        entries.append((29, offsets[runpath]))
    entries.append((0, 0))
    dynamic = b"".join(struct.pack(dyn_fmt, tag, value) for tag, value in entries)
    shoff = dyn_off + len(dynamic) if sections_only else 0
    shnum = 3 if sections_only else 0
    total = dyn_off + len(dynamic) + shnum * shsize
    if wide:
        header = struct.pack(order + "HHIQQQIHHHHHH", 3, 62, 1, 0, phoff if phnum else 0, shoff, 0, ehsize,
                             phsize, phnum, shsize, shnum, 0)
    else:
        header = struct.pack(order + "HHIIIIIHHHHHH", 3, 3, 1, 0, phoff if phnum else 0, shoff, 0, ehsize,
                             phsize, phnum, shsize, shnum, 0)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if little else 2, 1]) + b"\0" * 9
    out = ident + header
    if phnum:
        if wide:
            out += struct.pack(order + "IIQQQQQQ", 1, 5, 0, base, base, total, total, 0x1000)
            out += struct.pack(order + "IIQQQQQQ", 2, 6, dyn_off, base + dyn_off, base + dyn_off, len(dynamic),
                               len(dynamic), 8)
        else:
            out += struct.pack(order + "IIIIIIII", 1, 0, base, base, total, total, 5, 0x1000)
            out += struct.pack(order + "IIIIIIII", 2, dyn_off, base + dyn_off, base + dyn_off, len(dynamic),
                               len(dynamic), 6, 4)
    out += strings + b"\0" * ((-len(strings)) % 8) + dynamic
    if sections_only:
        fmt = order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
        out += struct.pack(fmt, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        out += struct.pack(fmt, 0, 3, 0, 0, strtab_off, len(strings), 0, 0, 1, 0)  # SHT_STRTAB
        out += struct.pack(fmt, 0, 6, 0, 0, dyn_off, len(dynamic), 1, 0, 8, 16 if wide else 8)  # SHT_DYNAMIC -> 1
    return out


@pytest.mark.parametrize("wide", [True, False], ids=["64-bit", "32-bit"])
@pytest.mark.parametrize("little", [True, False], ids=["little-endian", "big-endian"])
@pytest.mark.parametrize("sections_only", [False, True], ids=["program-headers", "section-headers"])
def test_run_paths_of_every_class_and_byte_order(tmp_path, wide, little, sections_only):
    path = tmp_path / "lib.so"
    path.write_bytes(_elf(wide, little, rpath="/opt/x:$ORIGIN/a", runpath="$ORIGIN/../b", sections_only=sections_only))
    assert run_paths(str(path)) == ["/opt/x", "$ORIGIN/a", "$ORIGIN/../b"]
    path.write_bytes(_elf(wide, little, sections_only=sections_only))
    assert run_paths(str(path)) == []


def test_run_paths_of_objects_gcc_built(tmp_path):
    runpath = _shared(tmp_path / "a" / "liba.so", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../x:/abs")
    rpath = _shared(tmp_path / "b" / "libb.so", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/lib")
    plain = _shared(tmp_path / "c" / "libc.so")
    assert run_paths(str(runpath)) == ["$ORIGIN/../x", "/abs"]
    assert run_paths(str(rpath)) == ["$ORIGIN/lib"]
    assert run_paths(str(plain)) == []


def test_malformed_and_truncated_files_have_no_run_path(tmp_path):
    good = _shared(tmp_path / "good.so", "-Wl,-rpath,$ORIGIN/../x").read_bytes()
    bad = tmp_path / "bad.so"
    # every prefix shorter than the dynamic section: never an exception, never a wrong answer
    for size in list(range(0, 128)) + list(range(128, len(good), 97)):
        bad.write_bytes(good[:size])
        assert run_paths(str(bad)) in ([], ["$ORIGIN/../x"]), size
    synthetic = _elf(True, True, runpath="$ORIGIN/../b")
    cases = {
        "empty": b"",
        "not ELF": b"#!/bin/sh\n" * 20,
        "a linker script": b"/* GNU ld script */\nGROUP ( libc.so.6 )\n",
        "bad class": synthetic[:4] + b"\x07" + synthetic[5:],
        "bad byte order": synthetic[:5] + b"\x09" + synthetic[6:],
        "header only": synthetic[:64],
        "huge phnum": synthetic[:56] + struct.pack("<H", 0xFFFF) + synthetic[58:],
        "phoff past the end": synthetic[:32] + struct.pack("<Q", 1 << 40) + synthetic[40:],
        "tiny phentsize": synthetic[:54] + struct.pack("<H", 4) + synthetic[56:],
        "unterminated string": synthetic.replace(struct.pack("<qQ", 29, 1),
                                                 struct.pack("<qQ", 29, len(synthetic) - 176)) + b"XYZ",
        "string offset past the end": synthetic.replace(struct.pack("<qQ", 29, 1), struct.pack("<qQ", 29, 1 << 62)),
        "strtab outside every segment": synthetic.replace(struct.pack("<qQ", 5, 0x10000 + 176),
                                                          struct.pack("<qQ", 5, 1 << 63)),
        "random bytes": b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4,
    }
    assert run_paths(str(tmp_path / "missing.so")) == []
    assert run_paths(str(tmp_path)) == []  # a directory
    for name, data in cases.items():
        bad.write_bytes(data)
        assert run_paths(str(bad)) == [], name


def test_which_run_paths_need_a_sibling_wheel(tmp_path):
    tree = tmp_path / "tree"
    flags = "-Wl,--enable-new-dtags"
    _shared(tree / "pkg" / "inside.so", flags, "-Wl,-rpath,$ORIGIN/../pkg.libs:$ORIGIN:/usr/lib")
    (tree / "pkg.libs").mkdir()
    (tree / "pkg.libs" / "libdep.so.1").write_bytes(b"not even ELF")
    _shared(tree / "pkg" / "sibling.so", flags, "-Wl,-rpath,$ORIGIN/../../other/lib")  # in a sibling directory
    _shared(tree / "pkg" / "deeper.so", flags, "-Wl,-rpath,${ORIGIN}/../../../up")  # leaves site-packages
    _shared(tree / "pkg" / "named.py", flags, "-Wl,-rpath,$ORIGIN/../nothing")  # not named like an object
    _shared(tree / "demo-1.0.data" / "platlib" / "plat" / "p.so", flags, "-Wl,-rpath,$ORIGIN/../pkg.libs")
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    assert outside_run_paths(str(tree), files) == [
        "pkg/deeper.so: ${ORIGIN}/../../../up",
        "pkg/sibling.so: $ORIGIN/../../other/lib",
    ]
    assert outside_run_paths(str(tree), [f for f in files if "sibling" not in f and "deeper" not in f]) == []


def test_only_files_named_like_shared_objects_are_read():
    assert [n for n in ("a.so", "libz.so.1", "libz.so.1.2.13", "a.py", "a.sox", "so", "a.dylib")
            if is_shared_object_name(n)] == ["a.so", "libz.so.1", "libz.so.1.2.13"]
