"""The content-addressed store under PKM_HOME: verified blobs, unpacked trees, buckets, locks, gc.

Layout (the root is passed in; the library never reads environment variables)::

    store-version               "1": the layout version; another value is refused
    blobs/sha256/ab/<hex>       every artifact, verified on add, read-only
    trees/<wheel-sha256>/       a wheel unpacked once: its members as in the zip
                                (`<name>.data/` kept for the installer to map),
                                `.pyc` for each interpreter in `__pycache__`,
                                files read-only; importable as a sys.path entry
    trees/<sha>/.pkm-complete   the completion marker (JSON: version, wheel,
                                sha256, files, interpreters, written, outside:
                                the run paths leading to other wheels, `_elf`);
                                a tree without a readable marker does not exist
    tmp/                        staging on the same filesystem (atomic renames)
    locks/<name>.lock           flock files; the holder writes its pid + command
    roots/<key>.json            the roots registry (below)
    views-v1/<key>/             trees merged by hard links for the runtime (`_view`)
    <name>-v<N>/                buckets for other layers (`store.bucket(...)`):
                                metadata-v1, runtime-v1, builds-v1, index-v1

Writing: blobs and small records go temp file -> fsync -> rename
(`atomic_write`). A tree is unpacked into `tmp/`, compiled, made read-only,
renamed into `trees/` whole, then its marker is written; all under the tree's
lock, so concurrent unpackers of one wheel do the work once and readers never
see a partial tree. Bytecode for another interpreter is added under that lock
(`Store.compile_tree`).

Trust: a wheel is unpacked only if every member passes `_members` (the same
rules the installer applies) and every file matches its RECORD row (the policy
in `_record`: files missing from RECORD, rows for missing files and hash or
size mismatches are refused).

Corruption: `Store.blob()` re-hashes and evicts a blob that no longer matches;
`Store.add_tree()` replaces a tree without a readable marker; `Store.verify()`
re-hashes every blob and checks every tree against its marker and RECORD
(bytecode the store compiled is the only thing a tree may hold unlisted).

Roots (for gc): whoever depends on store entries registers a root with
`store.add_root(path, kind, trees=[...], blobs=[...])`: `path` is the thing
that keeps it alive (an environment directory, a pylock.toml, a runtime
manifest), `kind` a word for people (`environment`, `lock`, `manifest`), and
the lists are sha256 digests (a tree is named by its wheel's digest, so a
root that wants both the wheel and its tree lists the digest in both). The
record lives at `roots/<sha256(abs path)[:32]>.json` as
`{"version": 1, "path", "kind", "trees", "blobs"}` (plus `"views"`, view
keys, when it has any); registering the same path
again replaces it, `remove_root(path)` drops it. `gc` keeps every blob,
tree and view a live root lists, drops roots whose path is gone, and removes other
entries older than `min_age` (default one hour: a command may not have
registered its root yet).

Caches (`_prune`): gc first removes entries of the cache buckets (`builds-v1`,
`build-envs-v1`, `build-logs-v1`, `metadata-v1`, `pages-v1`, `index-v1`,
`interpreters-v1`) whose mtime is older than `max_age` (default 30 days).
Their owners renew an entry's mtime on each hit, so the mtime says when it was
last used; an entry whose owner's store lock is held is in use and kept. A
build env removed so takes its root with it. Other buckets (`runtime-v1`
holds roots) are left to their owners; symlinks are unlinked, never followed.
"""

from __future__ import annotations

from pkm.store._atomic import atomic_write, hash_file
from pkm.store._filelist import FILE_LIST, read_file_list, tree_files
from pkm.store._lock import FileLock, LockTimeoutError
from pkm.store._members import (MARKER, ArchiveLimits, ArchiveMember, UnsafeArchiveError, check_members, check_mode,
                                check_name)
from pkm.store._record import (STRONG_ALGORITHMS, RecordRow, algorithm_of, check_record, encode_digest, find_dist_info, hash_bytes,
                               hash_path, hash_stream, is_bytecode, is_signature, parse_dist_info, parse_record,
                               render_record, render_record_rows)
from pkm.store._roots import Root
from pkm.store._store import STORE_VERSION, Store, TreeInfo, check_sha256
from pkm.store._unpack import extract_members, unpack_wheel

# Imported when first named: gc's and verify's reports (`_maintain`, and `_prune` behind it),
# which an install never needs, and the compiling interpreter (`_bytecode`: compileall).
_LAZY = {"Entry": "_maintain", "GcReport": "_maintain", "VerifyReport": "_maintain", "Compiler": "_bytecode"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"pkm.store.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'pkm.store' has no attribute {name!r}")

__all__ = [
    "Store",
    "TreeInfo",
    "Compiler",
    "Root",
    "Entry",
    "GcReport",
    "VerifyReport",
    "FileLock",
    "LockTimeoutError",
    "check_sha256",
    "atomic_write",
    "hash_file",
    "MARKER",
    "STORE_VERSION",
    # a tree's file list (read instead of walking the tree)
    "FILE_LIST",
    "read_file_list",
    "tree_files",
    # archive members: the rules every wheel meets in the store and the installer
    "ArchiveLimits",
    "ArchiveMember",
    "UnsafeArchiveError",
    "check_members",
    "check_name",
    "check_mode",
    "extract_members",
    "unpack_wheel",
    # RECORD: parsing, writing and its policy
    "RecordRow",
    "STRONG_ALGORITHMS",
    "encode_digest",
    "hash_bytes",
    "hash_stream",
    "hash_path",
    "parse_record",
    "render_record",
    "render_record_rows",
    "check_record",
    "find_dist_info",
    "parse_dist_info",
    "is_signature",
    "is_bytecode",
    "algorithm_of",
]
