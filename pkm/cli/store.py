"""Inspect and maintain the store: where it is, what it holds, verify it, collect garbage.

  pkm store path              print the store's root (PKM_HOME)
  pkm store info              entries and sizes per bucket
  pkm store verify            re-hash every blob and check every tree; evict what
                              is corrupt (exit 1 if anything was)
  pkm store gc [--dry-run] [--max-age DAYS]
                              remove cache entries unused for DAYS (default 30),
                              what no environment, lock or runtime manifest
                              uses, and roots whose path is gone
"""

from __future__ import annotations

import argparse

from pkm.cli._context import Context
from pkm.ui import format_bytes
from pkm.cli._options import add_global_options

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(parser))
    path = actions.add_parser("path", help="print the store's root directory")
    info = actions.add_parser("info", help="entries and sizes per bucket")
    verify = actions.add_parser("verify", help="re-hash blobs, check trees, evict what is corrupt")
    gc = actions.add_parser(
        "gc", help="remove unused cache entries, entries no root uses, and roots whose path is gone",
        description=GC_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    gc.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    gc.add_argument("--max-age", type=_days, default=30.0, metavar="DAYS",
                    help="remove cache entries not used for this many days (default: 30; "
                         "0: every cache entry not in use right now)")
    gc.add_argument("--min-age", type=float, default=3600.0, metavar="SECONDS",
                    help="keep blobs and trees touched more recently than this (default: 3600); "
                         "a command still running may not have registered its root yet")
    for sub in (path, info, verify, gc):
        add_global_options(sub)


GC_DESCRIPTION = """\
Remove what the store no longer needs, in this order:

  cache entries not used for --max-age days: wheels built from sdists
  (builds-v1), build environments (build-envs-v1), logs of failed builds
  (build-logs-v1), package metadata (metadata-v1), parsed index pages
  (pages-v1), cached HTTP answers (index-v1) and interpreter probes
  (interpreters-v1). Each use of an entry renews it (a built wheel, a build
  environment, metadata, a page, an HTTP answer, a probe); an entry locked by
  a running command is kept. Runtime manifests (runtime-v1) are roots, never
  pruned.

  roots whose path is gone (a deleted environment, lock file or manifest),
  then blobs and trees that no remaining root uses, older than --min-age,
  and stale staging files.

Nothing outside the store's own folders is touched; symbolic links are
removed as links, never followed."""


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not days >= 0 or days == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more days: {text!r}")
    return days


def run(args: argparse.Namespace, ctx: Context) -> int:

    store = ctx.store()
    if args.action == "path":
        ctx.console.result(str(store.root), data={"root": str(store.root)})
        return 0
    if args.action == "info":
        return _info(store, ctx)
    if args.action == "verify":
        return _verify(store, ctx)
    return _gc(store, ctx, dry_run=args.dry_run, min_age=args.min_age, max_age_days=args.max_age)


def _info(store, ctx: Context) -> int:
    data = store.info()
    buckets = data["buckets"]
    lines = [f"store: {data['root']}" + ("" if data["version"] else " (no blobs or trees yet)")]
    width = max([len(n) for n in buckets] + [6])
    for name, row in buckets.items():
        lines.append(f"  {name:<{width}}  {row['entries']:>7} entries  {format_bytes(row['bytes']):>10}")
    total = sum(row["bytes"] for row in buckets.values())
    lines.append(f"  {'total':<{width}}  {'':>7}          {format_bytes(total):>10}")
    data["bytes"] = total
    ctx.console.result("\n".join(lines), data=data)
    return 0


def _verify(store, ctx: Context) -> int:
    report = store.verify()
    corrupt = [{"kind": e.kind, "sha256": e.name, "problem": e.detail} for e in report.corrupt]
    lines = [f"checked {report.blobs} blobs and {report.trees} trees"]
    if corrupt:
        lines.append(f"{len(corrupt)} corrupt, evicted (they are fetched again when next needed):")
        lines += [f"  {c['kind']} {c['sha256']}: {c['problem']}" for c in corrupt]
    else:
        lines.append("no corruption found")
    # a clean store is a summary (silent under -q); corruption is a failure, shown even then
    say = ctx.console.result if corrupt else ctx.console.summary
    say("\n".join(lines), data={"blobs": report.blobs, "trees": report.trees, "corrupt": corrupt})
    return 1 if corrupt else 0


def _gc(store, ctx: Context, *, dry_run: bool, min_age: float, max_age_days: float) -> int:
    report = store.gc(dry_run=dry_run, min_age=min_age, max_age=max_age_days * 86400.0)
    verb = "would remove" if dry_run else "removed"
    lines = []
    for e in report.removed:
        detail = f" ({e.detail})" if e.detail else ""
        lines.append(f"{verb} {e.kind} {e.name}{detail}  {format_bytes(e.size)}")
    lines.append(f"{verb} {len(report.removed)} entries, {format_bytes(report.bytes_freed)}"
                 f" {'would be ' if dry_run else ''}freed; kept {report.kept_blobs} blobs, {report.kept_trees} trees,"
                 f" {report.kept_views} views and {report.kept_cache} cache entries")
    data = {
        "dry_run": dry_run,
        "max_age_days": max_age_days,
        "removed": [_entry_data(e) for e in report.removed],
        "bytes_freed": report.bytes_freed,
        "kept": {"blobs": report.kept_blobs, "trees": report.kept_trees, "views": report.kept_views,
                 "cache": report.kept_cache},
        "failed": [_entry_data(e) for e in report.failed],
    }
    ctx.console.summary("\n".join(lines), data=data)
    if report.failed:
        from pkm.errors import PkmError

        raise PkmError(f"gc could not remove {len(report.failed)} cache "
                       f"{'entry' if len(report.failed) == 1 else 'entries'} (the rest was done)",
                       why="\n".join(f"{e.name}: {e.detail}" for e in report.failed),
                       hint=f"check the permissions under {store.root}, then run `pkm store gc` again")
    return 0


def _entry_data(e) -> dict:
    row = {"kind": e.kind, "name": e.name, "detail": e.detail, "bytes": e.size}
    if e.bucket:
        row["bucket"] = e.bucket
    return row
