"""PEP 723 blocks and context keys, as the warm path reads them (stdlib only, no TOML parsing)."""

from __future__ import annotations

import pytest

from pkm_runtime.context import MetadataError, context_key, find_context, script_block


def test_the_script_block_is_extracted_per_the_specification():
    source = ("#!/usr/bin/env python\n# /// other\n# x = 1\n# ///\n\n# /// script\n"
              "# requires-python = \">=3.9\"\n#\n# dependencies = [\n#   \"rich\",  # ///\n# ]\n# ///\nimport rich\n")
    assert script_block(source) == 'requires-python = ">=3.9"\n\ndependencies = [\n  "rich",  # ///\n]\n'


def test_the_last_closing_line_of_a_run_of_comments_closes_the_block():
    source = "# /// script\n# a = 1\n# ///\n# b = 2\n# ///\nx = 1\n"
    assert script_block(source) == "a = 1\n///\nb = 2\n"


def test_no_block_and_lookalikes():
    assert script_block("print(1)\n") is None
    assert script_block("# /// script \n# a = 1\n# ///\n") is None  # trailing space: not an opening line
    assert script_block("#/// script\n# a = 1\n# ///\n") is None


@pytest.mark.parametrize("source, line, what", [
    ("# /// script\n# a = 1\n", 1, "never closed"),
    ("x = 1\n# /// script\n# a = 1\nprint()\n# ///\n", 2, "never closed"),
    ("# /// script\n# ///\n\n# /// script\n# ///\n", 4, "a second"),
])
def test_malformed_blocks(source, line, what):
    with pytest.raises(MetadataError) as caught:
        script_block(source, "s.py")
    assert caught.value.line == line and what in caught.value.what and caught.value.path == "s.py"


def test_keys_follow_the_metadata_text_and_the_index_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PKM_INDEX_URL", raising=False)
    a = context_key("script", "dependencies = ['rich']\n")
    assert a == context_key("script", "dependencies = ['rich']\n")
    assert a != context_key("script", "dependencies = ['rich>=13']\n")
    monkeypatch.setenv("PKM_INDEX_URL", "https://example.org/simple/")
    assert a != context_key("script", "dependencies = ['rich']\n")


def test_contexts_script_project_and_none(tmp_path):
    (tmp_path / "proj" / "sub").mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    script = tmp_path / "proj" / "sub" / "s.py"
    script.write_text("print(1)\n")
    found = find_context(str(script))
    assert (found.kind, found.path) == ("project", str(tmp_path / "proj" / "pyproject.toml"))
    before = found.key
    (tmp_path / "proj" / "pylock.toml").write_text("lock-version = '1.0'\n")
    assert find_context(str(script)).key != before  # the lock is part of the project's context
    script.write_text("# /// script\n# dependencies = []\n# ///\n")
    assert find_context(str(script)).kind == "script"
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "t.py").write_text("")
    if find_context(str(lone / "t.py")).kind == "none":  # unless a pyproject.toml sits above tmp
        assert find_context(str(lone / "t.py")).key != find_context(None, cwd=str(lone)).key
