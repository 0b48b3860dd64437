"""Will the index render the readme? Its declared content type, and Markdown, plain text or reST that holds up."""

from __future__ import annotations

import importlib
import io
import re
from email.message import Message
from typing import Callable, List, Optional, Tuple

__all__ = ["RstCheck", "docutils_rst_check", "check_readme", "CONTENT_TYPES"]

# What PyPI renders: anything else is refused at upload.
CONTENT_TYPES = ("text/markdown", "text/x-rst", "text/plain")
MARKDOWN_VARIANTS = ("GFM", "CommonMark")
# A reST checker: the text in, None when it renders cleanly, else the first problem.
RstCheck = Callable[[str], Optional[str]]

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_DECLARE = ('declare it in pyproject.toml: `readme = "README.md"` (the suffix gives the type) or '
            '`readme = {file = "README.txt", content-type = "text/plain"}`')


def docutils_rst_check() -> Optional[RstCheck]:
    """A reST checker built on docutils, as PyPI's renderer uses it; None when docutils is not importable.

    docutils is optional and never required: it is looked up at run time, and
    a missing docutils means "not checked", said in a note.
    """
    try:
        core = importlib.import_module("docutils.core")
        utils = importlib.import_module("docutils.utils")
    except ImportError:
        return None

    def check(text: str) -> Optional[str]:
        settings = {"halt_level": 2, "report_level": 2, "warning_stream": io.StringIO(), "raw_enabled": False,
                    "file_insertion_enabled": False, "input_encoding": "unicode"}
        try:
            core.publish_parts(text, writer_name="html", settings_overrides=settings)
        except utils.SystemMessage as exc:
            return str(exc).strip()
        return None

    return check


def check_readme(description: Optional[str], content_type: Optional[str],
                 rst_check: Optional[RstCheck]) -> Tuple[List[Tuple[str, str]], List[str]]:
    """(problems as (what, hint) pairs, notes) for a readme and its declared Description-Content-Type.

    A missing or unsupported type, a charset other than UTF-8, an unknown
    Markdown variant, control characters, and a code fence never closed are
    problems; reST that docutils (`rst_check`) cannot render cleanly is a
    problem, and unchecked reST (no docutils) is a note. Cost: one pass over
    the text (plus a docutils render for reST).
    """
    problems: List[Tuple[str, str]] = []
    notes: List[str] = []
    has_text = bool(description and description.strip())
    if not content_type:
        if has_text:
            problems.append(("the readme's content type is not declared (no Description-Content-Type); "
                             "PyPI would take it for reStructuredText", _DECLARE))
        return problems, notes
    kind, params = _parse_content_type(content_type)
    if kind not in CONTENT_TYPES:
        problems.append((f"the readme's content type `{content_type}` is not one PyPI renders",
                         f"use one of {', '.join(CONTENT_TYPES)}; {_DECLARE}"))
        return problems, notes
    charset = params.get("charset")
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        problems.append((f"the readme's charset is `{charset}`; core metadata is UTF-8",
                         "drop the charset parameter or make it UTF-8"))
    variant = params.get("variant")
    if kind == "text/markdown" and variant is not None and variant not in MARKDOWN_VARIANTS:
        problems.append((f"unknown Markdown variant `{variant}`", f"use {' or '.join(MARKDOWN_VARIANTS)}"))
    if not has_text:
        return problems, notes
    assert description is not None
    control = _CONTROL.search(description)
    if control is not None:
        line = description.count("\n", 0, control.start()) + 1
        problems.append((f"the readme has a control character ({control.group()!r}) on line {line}",
                         "remove it from the readme; it is not text"))
    if kind == "text/markdown":
        fence = _unclosed_fence(description)
        if fence is not None:
            problems.append((f"the readme's code fence opened on line {fence} is never closed; everything after "
                             "it would show as code", "close the fence with the same backticks or tildes"))
    elif kind == "text/x-rst":
        if rst_check is None:
            notes.append("reStructuredText readme not checked: docutils is not installed "
                         "(install it to check the readme as PyPI renders it)")
        else:
            error = rst_check(description)
            if error is not None:
                problems.append((f"the reStructuredText readme does not render: {error}",
                                 "fix the markup (check it with `python -m docutils README.rst`)"))
    return problems, notes


def _parse_content_type(value: str) -> Tuple[str, dict]:
    message = Message()
    message["Content-Type"] = value
    kind = value.split(";", 1)[0].strip().lower()
    params = {key.lower(): str(val) for key, val in (message.get_params() or [])[1:]}
    return kind, params


def _unclosed_fence(text: str) -> Optional[int]:
    """The line number of a fenced code block (``` or ~~~) that is still open at the end, else None."""
    opened: Optional[Tuple[str, int, int]] = None  # (fence char, fence length, line)
    for number, line in enumerate(text.splitlines(), 1):
        match = _FENCE.match(line)
        if match is None:
            continue
        fence = match.group(1)
        if opened is None:
            opened = (fence[0], len(fence), number)
        elif fence[0] == opened[0] and len(fence) >= opened[1] and not line[match.end():].strip():
            opened = None
    return opened[2] if opened is not None else None
