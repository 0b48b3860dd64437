"""The readme check: a declared type PyPI renders, and text that will not render as a surprise."""

from __future__ import annotations

import sys

import pytest

from pkm.publish import check_readme, docutils_rst_check


def _whats(description, content_type, rst_check=None):
    problems, _ = check_readme(description, content_type, rst_check)
    return [what for what, _ in problems]


def test_clean_markdown_and_plain_text_pass():
    text = "# Title\n\n```python\nprint(1)\n```\n\n~~~~\nraw\n~~~~\n\n\tTabbed.\n"
    assert check_readme(text, "text/markdown; charset=UTF-8; variant=GFM", None) == ([], [])
    assert check_readme("Just text.\n", "text/plain", None) == ([], [])


def test_no_readme_needs_no_content_type():
    assert check_readme(None, None, None) == ([], [])
    assert check_readme("  \n", None, None) == ([], [])


def test_a_readme_without_a_declared_type_is_a_problem_with_the_fix():
    problems, _ = check_readme("# Title\n", None, None)
    [(what, hint)] = problems
    assert "content type is not declared" in what and "reStructuredText" in what
    assert 'readme = "README.md"' in hint


@pytest.mark.parametrize(("content_type", "expected"), [
    ("text/html", "the readme's content type `text/html` is not one PyPI renders"),
    ("text/markdown; charset=latin-1", "the readme's charset is `latin-1`; core metadata is UTF-8"),
    ("text/markdown; variant=Pandoc", "unknown Markdown variant `Pandoc`"),
])
def test_unsupported_types_charsets_and_variants(content_type, expected):
    assert _whats("# Title\n", content_type) == [expected]


def test_an_unclosed_code_fence_is_found_with_its_line():
    text = "# Title\n\n```\ncode\n``\nstill code\n"
    assert _whats(text, "text/markdown") == [
        "the readme's code fence opened on line 3 is never closed; everything after it would show as code"]
    assert _whats("~~~\nx\n```\n", "text/markdown") != []  # a ``` line does not close a ~~~ fence


def test_control_characters_are_found_with_their_line():
    assert _whats("line one\nbell \x07 here\n", "text/plain") == [
        "the readme has a control character ('\\x07') on line 2"]


def test_rst_is_rendered_by_the_checker_when_there_is_one():
    seen = []

    def checker(text):
        seen.append(text)
        return "<string>:2: (WARNING/2) Title underline too short." if "====" not in text else None

    assert _whats("Title\n===\n", "text/x-rst", checker) == [
        "the reStructuredText readme does not render: <string>:2: (WARNING/2) Title underline too short."]
    assert check_readme("Title\n=====\n", "text/x-rst", checker) == ([], [])
    assert len(seen) == 2


def test_rst_without_docutils_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setitem(sys.modules, "docutils", None)  # makes `import docutils...` fail
    monkeypatch.setitem(sys.modules, "docutils.core", None)
    assert docutils_rst_check() is None
    problems, notes = check_readme("Title\n=\n", "text/x-rst", None)
    assert problems == [] and notes == [
        "reStructuredText readme not checked: docutils is not installed "
        "(install it to check the readme as PyPI renders it)"]
