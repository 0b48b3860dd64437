"""[tool.pkm.extensions] and [tool.pkm.patches] read into manifest data; mistakes point at file:line."""

from __future__ import annotations

import json
import textwrap

import pytest

from pkm.errors import InputFileError
from pkm.project.extensions import read_extensions


def pyproject(tmp_path, text: str):
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "demo"\nversion = "1"\n\n' + textwrap.dedent(text))
    return path


def error(tmp_path, text: str) -> InputFileError:
    path = pyproject(tmp_path, text)
    with pytest.raises(InputFileError) as info:
        read_extensions(path)
    assert info.value.exit_code == 2 and info.value.path == str(path)
    return info.value


def test_the_tables_become_manifest_data(tmp_path):
    path = pyproject(tmp_path, """
        [tool.pkm.extensions]
        "fractions.Fraction" = ["myext:as_percent"]
        "rich.text.Text" = ["shout=myext:make_loud", "myext:whisper"]
        "pkg.mod:Outer.Inner" = "myext:one"

        [tool.pkm.patches]
        json = ["myext:patch_json"]

        [tool.pkm.extensions-options]
        override = true
    """)
    found = read_extensions(path)
    assert found == {
        "extensions": {
            "fractions.Fraction": ["myext:as_percent"],
            "rich.text.Text": ["shout=myext:make_loud", "myext:whisper"],
            "pkg.mod:Outer.Inner": ["myext:one"],
        },
        "patches": {"json": ["myext:patch_json"]},
        "override": True,
    }
    assert json.loads(json.dumps(found)) == found


def test_a_project_without_extensions_has_empty_tables(tmp_path):
    assert read_extensions(pyproject(tmp_path, "[tool.pkm]\noffline = true\n")) == {
        "extensions": {}, "patches": {}, "override": False}


def test_a_malformed_spec_names_the_file_the_line_and_the_format(tmp_path):
    exc = error(tmp_path, """
        [tool.pkm.extensions]
        "fractions.Fraction" = ["myext:as_percent"]
        "rich.text.Text" = ["myext.make_loud"]
    """)
    assert str(exc) == (f"{exc.path}:8: [tool.pkm.extensions] \"rich.text.Text\": "
                        "'myext.make_loud' is not [name=]module:function")
    assert exc.line == 8
    assert 'write "module:function" or "name=module:function"' in exc.hint


def test_a_target_without_a_module(tmp_path):
    exc = error(tmp_path, '[tool.pkm.extensions]\nFraction = ["myext:f"]\n')
    assert exc.line == 6 and "'Fraction' names no module" in str(exc)


def test_an_unquoted_dotted_target_is_pointed_at(tmp_path):
    exc = error(tmp_path, '[tool.pkm.extensions]\nfractions.Fraction = ["myext:as_percent"]\n')
    assert exc.line == 6
    assert "`fractions` is a table, not an array of specs" in str(exc)
    assert 'quote dotted targets: "fractions.Fraction"' in exc.hint


def test_a_patch_may_not_be_renamed(tmp_path):
    exc = error(tmp_path, '[tool.pkm.patches]\n\n"json" = ["loads=myext:patch"]\n')
    assert exc.line == 7 and "a patch is called, not stored under a name" in str(exc)


@pytest.mark.parametrize("text, line, message", [
    ('[tool.pkm.extensions]\n"a.B" = [1, "m:f"]\n', 6, '`a.B` must be an array of strings, not an array holding an integer'),
    ('[tool.pkm.extensions]\n"a.B" = 3\n', 6, "`a.B` must be an array of strings, not an integer"),
    ('[tool.pkm]\nextensions = ["m:f"]\n', 6, "[tool.pkm.extensions] must be a table, not an array"),
    ('[tool.pkm]\npatches = "m:f"\n', 6, "[tool.pkm.patches] must be a table, not a string"),
    ('[tool.pkm.extensions-options]\noverride = "yes"\n', 6, "`override` must be true or false, not a string"),
    ('[tool.pkm.extensions-options]\noveride = true\n', 6, "has no option `overide` (known: override)"),
    ('[tool]\npkm = 1\n', 6, "[tool.pkm] must be a table, not an integer"),
])
def test_wrong_types_are_input_file_errors_at_their_line(tmp_path, text, line, message):
    exc = error(tmp_path, text)
    assert exc.line == line and message in str(exc), str(exc)
    assert str(exc).startswith(f"{exc.path}:{line}: ") and exc.hint


def test_invalid_toml_is_reported_by_the_toml_reader(tmp_path):
    exc = error(tmp_path, '[tool.pkm.extensions]\n"a.B" = ["m:f"\n')
    assert "invalid TOML" in str(exc)
