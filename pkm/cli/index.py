"""Query a package index.

`pkm index versions NAME` lists the versions the indexes offer, newest
first, yanked ones marked. The first index (in search order) that has the
project answers, exactly as installs will see it.
"""

from __future__ import annotations

import argparse
from typing import Any

from pkm.cli._context import Context
from pkm.cli._options import add_global_options, add_index_options
from pkm.errors import NotFoundError, OfflineError, UsageError

__all__ = ["add_arguments", "run", "project_page"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_index_options(parser)  # also accepted before the action: `pkm index --offline versions x`
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser))
    versions = actions.add_parser("versions", help="list the available versions of a package, newest first",
                                  description="List the versions of NAME on the index, newest first; "
                                              "yanked versions are marked.")
    versions.add_argument("name", metavar="NAME", help="the package (any spelling: Foo_Bar = foo-bar)")
    add_index_options(versions)
    add_global_options(versions)


def project_page(index: Any, name: str) -> Any:
    """The project page of `name`, or a NotFoundError/OfflineError the user can act on."""
    from packaging.utils import InvalidName, canonicalize_name

    from pkm.index import NotFound, Offline

    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        raise UsageError(f"`{name}` is not a valid package name",
                         hint="names are letters, digits, and . _ - inside (PEP 508)") from None
    page = index.project_page(name)
    if isinstance(page, NotFound):
        raise NotFoundError(f"package `{name}` was not found",
                            why="searched: " + ", ".join(page.searched),
                            hint="check the spelling, or add the index that has it with --extra-index-url")
    if isinstance(page, Offline):
        raise OfflineError(f"package `{name}` is not in the cache and the network is off ({page.reason})",
                           hint="run once without --offline (or PKM_OFFLINE) to fill the cache")
    return page


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.index import available_versions, redact_url

    page = project_page(ctx.index(), args.name)
    infos = available_versions(page)
    rows = []
    for info in infos:
        reasons = {a.yanked for a in info.artifacts if a.yanked}
        requires = next((a.requires_python for a in info.artifacts if a.requires_python), None)
        rows.append({"version": str(info.version), "yanked": info.yanked,
                     "yanked_reason": "; ".join(sorted(reasons)) or None if info.yanked else None,
                     "requires_python": requires, "files": len(info.artifacts)})
    for line in page.skipped:
        ctx.console.detail(f"skipped: {line}")
    where = redact_url(page.index_url)
    ctx.console.info(f"{page.name}: {len(rows)} versions on {where}")

    def line(row: dict) -> str:
        if not row["yanked"]:
            return row["version"]
        return f"{row['version']}  (yanked{': ' + row['yanked_reason'] if row['yanked_reason'] else ''})"

    ctx.console.result("\n".join(line(r) for r in rows),
                       data={"name": page.name, "index": where, "versions": rows})
    return 0
