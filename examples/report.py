# /// script
# requires-python = ">=3.9"
# dependencies = ["rich>=13", "attrs>=23"]
# ///
"""Print a small table of the distributions this script runs with (rich + attrs, from pkm's store)."""

import importlib.metadata as metadata
import sys

import attrs
from rich.console import Console
from rich.table import Table


@attrs.frozen
class Row:
    name: str
    version: str


rows = [Row(name, metadata.version(name)) for name in ("rich", "attrs", "pygments")]
table = Table("distribution", "version", title=f"Python {sys.version_info[0]}.{sys.version_info[1]}")
for row in rows:
    table.add_row(row.name, row.version)
Console(width=40).print(table)
