"""Editing dependency arrays in TOML text: everything else stays byte for byte."""

from __future__ import annotations

import sys

import pytest

from pkm.project._edit import add_item, remove_items

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = """\
# my project
[project]
name = "demo"   # the name
version = "1.0"
dependencies = [
    "rich>=13",  # pretty output
    # "old-thing",
    'attrs',
]

[tool.other]
keep = [ "x" ]
"""


def test_add_to_a_multiline_array_keeps_comments_and_style():
    text = add_item(PYPROJECT, "project", "dependencies", "httpx>=0.27")
    assert text == PYPROJECT.replace("    'attrs',\n]", "    'attrs',\n    \"httpx>=0.27\",\n]")
    assert tomllib.loads(text)["project"]["dependencies"] == ["rich>=13", "attrs", "httpx>=0.27"]


def test_add_after_an_item_without_a_trailing_comma_and_with_a_comment():
    text = '[project]\ndependencies = [\n  "a",\n  "b"  # why b\n]\n'
    out = add_item(text, "project", "dependencies", "c")
    assert out == '[project]\ndependencies = [\n  "a",\n  "b",  # why b\n  "c",\n]\n'
    assert tomllib.loads(out)["project"]["dependencies"] == ["a", "b", "c"]


@pytest.mark.parametrize("array, expected", [
    ("[]", '["c"]'),
    ('["a"]', '["a", "c"]'),
    ('[ "a", "b" ]', '[ "a", "b", "c" ]'),
    ('["a",]', '["a", "c"]'),
])
def test_add_to_a_one_line_array(array, expected):
    text = f"[project]\ndependencies = {array}  # tail\n"
    assert add_item(text, "project", "dependencies", "c") == f"[project]\ndependencies = {expected}  # tail\n"


def test_missing_key_and_missing_table_are_created():
    out = add_item(PYPROJECT, "dependency-groups", "dev", "pytest>=8")
    assert out.startswith(PYPROJECT) and out.endswith('\n[dependency-groups]\ndev = ["pytest>=8"]\n')
    text = '[project]\nname = "x"\n\n[tool.x]\n'
    out = add_item(text, "project", "dependencies", "a")
    assert out == '[project]\nname = "x"\ndependencies = ["a"]\n\n[tool.x]\n'
    out = add_item(text, "project.optional-dependencies", "fast", "uvloop")
    assert tomllib.loads(out)["project"]["optional-dependencies"] == {"fast": ["uvloop"]}


def test_strings_with_brackets_and_escapes_do_not_confuse_the_array_end():
    text = '[project]\ndependencies = ["a[extra]>=1", "b; python_version < \\"3.10\\"", "c # not a comment"]\n'
    out = add_item(text, "project", "dependencies", 'd; sys_platform == "linux"')
    assert tomllib.loads(out)["project"]["dependencies"][-1] == 'd; sys_platform == "linux"'
    out, removed = remove_items(out, "project", "dependencies", lambda v: v.startswith("b"))
    assert removed == ['b; python_version < "3.10"']
    assert tomllib.loads(out)["project"]["dependencies"] == ["a[extra]>=1", "c # not a comment",
                                                             'd; sys_platform == "linux"']


def test_remove_takes_the_whole_line_and_its_comment():
    out, removed = remove_items(PYPROJECT, "project", "dependencies", lambda v: v.startswith("rich"))
    assert removed == ["rich>=13"]
    assert out == PYPROJECT.replace('    "rich>=13",  # pretty output\n', "")
    out, removed = remove_items(out, "project", "dependencies", lambda v: v == "attrs")
    assert removed == ["attrs"] and tomllib.loads(out)["project"]["dependencies"] == []
    assert "# my project" in out and "keep = [ \"x\" ]" in out


def test_remove_from_a_one_line_array_and_nothing_to_remove():
    text = '[project]\ndependencies = ["a", "b", "c"]\n'
    out, removed = remove_items(text, "project", "dependencies", lambda v: v == "b")
    assert (out, removed) == ('[project]\ndependencies = ["a", "c"]\n', ["b"])
    out, removed = remove_items(text, "project", "dependencies", lambda v: v == "c")
    assert out == '[project]\ndependencies = ["a", "b"]\n'
    assert remove_items(text, "project", "dependencies", lambda v: v == "z") == (text, [])
    assert remove_items(text, "dependency-groups", "dev", lambda v: True) == (text, [])


def test_a_key_in_another_table_is_not_touched():
    text = '[tool.x]\ndependencies = ["z"]\n\n[project]\nname = "p"\n'
    out = add_item(text, "project", "dependencies", "a")
    assert tomllib.loads(out)["tool"]["x"]["dependencies"] == ["z"]
    assert tomllib.loads(out)["project"]["dependencies"] == ["a"]


def test_the_root_table_as_in_a_script_block():
    block = 'requires-python = ">=3.9"\ndependencies = [\n  "rich",\n]\n\n[tool.pkm]\nx = 1\n'
    out = add_item(block, "", "dependencies", "httpx")
    assert tomllib.loads(out)["dependencies"] == ["rich", "httpx"] and out.endswith("[tool.pkm]\nx = 1\n")
    out = add_item('requires-python = ">=3.9"\n\n[tool.pkm]\nx = 1\n', "", "dependencies", "httpx")
    assert tomllib.loads(out) == {"requires-python": ">=3.9", "dependencies": ["httpx"], "tool": {"pkm": {"x": 1}}}
    assert add_item("", "", "dependencies", "a") == 'dependencies = ["a"]\n'


def test_removing_the_first_item_of_a_one_line_array_keeps_the_rest():
    text = '[project]\nname = "x"\ndependencies = ["testtool", "fmt>=1.2"]  # kept\n'
    assert remove_items(text, "project", "dependencies", lambda item: item == "testtool") == (
        '[project]\nname = "x"\ndependencies = ["fmt>=1.2"]  # kept\n', ["testtool"])
