"""Edit the PEP 723 `# /// script` block of a script: the TOML inside changes, the rest of the file does not."""

from __future__ import annotations

from typing import Callable, List, Tuple

__all__ = ["edit_script_block", "script_block_text"]


def _block_lines(lines: List[str], path: str) -> Tuple[int, int]:
    """(line of `# /// script`, line of its closing `# ///`), or (-1, -1) when there is none."""
    from pkm_runtime.context import script_block

    script_block("".join(lines), path)  # malformed blocks raise here (MetadataError), with their line
    for start, line in enumerate(lines):
        if line.rstrip("\r\n") == "# /// script":
            end = start + 1
            close = -1
            while end < len(lines) and (lines[end].rstrip("\r\n") == "#" or lines[end].startswith("# ")):
                if lines[end].rstrip("\r\n") == "# ///":
                    close = end
                end += 1
            if close >= 0:
                return start, close
    return -1, -1


def script_block_text(source: str, path: str = "<script>") -> str:
    """The TOML of the block ("" when the script has none)."""
    from pkm_runtime.context import script_block

    return script_block(source, path) or ""


def edit_script_block(source: str, edit: Callable[[str], str], path: str = "<script>") -> str:
    """`source` with its block's TOML replaced by `edit(toml)`; a block is added at the top
    (after a `#!` line and an encoding comment) when there is none."""
    lines = source.splitlines(keepends=True)
    start, close = _block_lines(lines, path)
    if start < 0:
        toml = edit("")
        at = 0
        while at < len(lines) and at < 2 and (lines[at].startswith("#!") or "coding" in lines[at][:40]):
            at += 1
        block = ["# /// script\n"] + _commented(toml) + ["# ///\n"]
        return "".join(lines[:at] + block + lines[at:])
    toml = "".join(line[2:] if line.startswith("# ") else "\n" for line in lines[start + 1:close])
    return "".join(lines[:start + 1] + _commented(edit(toml)) + lines[close:])


def _commented(toml: str) -> List[str]:
    return [("# " + line if line else "#") + "\n" for line in toml.splitlines()]
