"""Show the effective settings and where each one comes from.

Precedence, highest first: command-line flag, PKM_* environment variable,
[tool.pkm] in the nearest pyproject.toml, the user config file
($XDG_CONFIG_HOME/pkm/config.toml), pkm's default.
"""

from __future__ import annotations

import argparse

from pkm.cli._context import Context
from pkm.cli._options import add_index_options

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_index_options(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.http import redact
    from pkm.project.settings import FIELDS, user_config_path

    s = ctx.settings
    rows = []
    for f in FIELDS:
        value = getattr(s, f.attr)
        if f.key in ("index-url", "extra-index-url", "find-links"):  # URLs may carry tokens: never print them
            value = redact(value) if isinstance(value, str) else tuple(redact(v) for v in value)
        shown = " ".join(value) if isinstance(value, tuple) else str(value).lower() if isinstance(value, bool) else str(value)
        rows.append((f.key, shown or "(none)", s.sources[f.key], value))
    width = max(len(r[0]) for r in rows)
    text = "\n".join(f"{key:<{width}}  {shown}  ({source})" for key, shown, source, _ in rows)
    text += f"\n\nuser config: {user_config_path()}"
    data = {key: {"value": list(v) if isinstance(v, tuple) else v, "source": source} for key, _, source, v in rows}
    ctx.console.result(text, data=data)
    return 0
