"""Download the best artifact of the newest matching version of each requirement, hash-verified.

For the running interpreter: the wheel whose tags rank best for it, else
the sdist; `requires-python` and yanked files are respected (a yanked
version is taken only when pinned with ==). Files already in DIR with the
right hash are not downloaded again. Dependencies are not followed yet:
name every package you need (the resolver will add them).
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import NotFoundError, UsageError
from pkm.ui import format_bytes

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("requirements", nargs="+", metavar="REQ", help="a requirement, e.g. 'rich>=13' or attrs")
    parser.add_argument("-d", "--dest", type=Path, default=Path("."), metavar="DIR",
                        help="where to put the files (default: the current directory)")
    parser.add_argument("--no-deps", action="store_true", help="download only the packages named (the default for now)")
    binary = parser.add_mutually_exclusive_group()
    binary.add_argument("--no-binary", action="store_true", help="take sdists only, never wheels")
    binary.add_argument("--only-binary", action="store_true", help="take wheels only, never sdists")
    parser.add_argument("--pre", action="store_true", help="allow pre-release versions")
    add_index_options(parser)


def _parse(text: str):
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise UsageError(f"invalid requirement `{text}`", why=str(exc),
                         hint="write a PEP 508 requirement, e.g. `rich>=13` or `requests[socks]==2.32.3`") from None
    if req.url:
        raise UsageError(f"`{text}` is a direct URL: pkm download takes requirements for an index",
                         hint="download the URL directly, or name the package and version instead")
    return req


def _sha256(path: Path) -> str:
    from pkm.store import hash_file

    return hash_file(path)[0]


def _no_choice(req, page, args, infos, where: str) -> NotFoundError:
    """Why nothing was chosen: no version in range, or no artifact of those versions fits here."""
    listed = ", ".join(str(info.version) for info in infos[:8]) + (" ..." if len(infos) > 8 else "")
    why = f"{page.name} has {listed or 'no versions'} on {where}"
    matching = list(req.specifier.filter((info.version for info in infos), prereleases=True if args.pre else None))
    if not matching:
        return NotFoundError(f"no version of `{page.name}` matches `{req.specifier}`", why=why,
                             hint="loosen the version range, or allow pre-releases with --pre")
    kind = "wheel" if args.only_binary else "sdist" if args.no_binary else "artifact"
    return NotFoundError(
        f"no {kind} of `{req}` fits this interpreter",
        why=f"{why}\nversions in range: {', '.join(map(str, matching[:8]))}; none has a {kind} for "
            f"Python {platform.python_version()} on {platform.machine()} (by tags and requires-python)",
        hint="pick another version, or drop --only-binary/--no-binary" if kind != "artifact"
        else "pick a version that supports this Python, or use another interpreter",
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli.index import project_page
    from pkm.index import available_versions, newest_matching, redact_url

    requirements = [_parse(text) for text in args.requirements]  # all checked before any download
    if not args.no_deps:
        ctx.console.warn("dependencies are not downloaded yet; only the packages named are (pass --no-deps to "
                         "silence this)")
    index = ctx.index()
    index.prefetch(req.name for req in requirements)
    args.dest.mkdir(parents=True, exist_ok=True)
    done, lines = [], []
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            ctx.console.info(f"skipped {req}: its marker does not match this interpreter")
            continue
        page = project_page(index, req.name)
        choice = newest_matching(page, req.specifier, prereleases=True if args.pre else None,
                                 no_binary=args.no_binary, only_binary=args.only_binary)
        if choice is None:
            raise _no_choice(req, page, args, available_versions(page), redact_url(page.index_url))
        artifact = choice.artifact
        target = args.dest / artifact.filename
        if target.is_file() and artifact.sha256 and _sha256(target) == artifact.sha256:
            lines.append(f"Already there {target}")
        else:
            with ctx.console.progress(artifact.filename, artifact.size, unit="bytes") as bar:
                target = index.fetch_artifact(artifact, args.dest, progress=bar.update)
            lines.append(f"Saved {target} ({format_bytes(target.stat().st_size)})")
        done.append({"name": page.name, "version": str(choice.version), "file": str(target.resolve()),
                     "sha256": artifact.sha256 or _sha256(target)})
    ctx.console.summary("\n".join(lines), data=done)
    return 0
