"""Requirements files: comments, continuations, nesting, constraints, hashes, index options, and their errors."""

from __future__ import annotations

import pytest

from pkm.cli._requirements import parse_requirements, parse_requirements_text
from pkm.errors import InputFileError

HASH = "ab" * 32


def names(entries):
    return [(str(e.requirement), e.line) for e in entries]


def test_comments_blank_lines_continuations_and_markers(tmp_path):
    path = tmp_path / "reqs.txt"
    path.write_text(
        "# a comment\n\n"
        "rich>=13  # trailing comment\n"
        "requests[socks] \\\n"
        "    ==2.32.3\n"
        "tomli ; python_version < '3.11'\n"
        "\t# indented comment\n"
    )
    found = parse_requirements(path)
    assert names(found.requirements) == [("rich>=13", 3), ("requests[socks]==2.32.3", 4),
                                         ('tomli; python_version < "3.11"', 6)]
    assert found.constraints == [] and found.index_url is None


def test_nested_requirements_and_constraints_resolve_relative_to_their_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.txt").write_text("attrs\n-c pins.txt\n")
    (tmp_path / "sub" / "pins.txt").write_text("attrs==25.1.0\n-r more-pins.txt\n")
    (tmp_path / "sub" / "more-pins.txt").write_text("idna<4\n")
    (tmp_path / "reqs.txt").write_text("-r sub/base.txt\n--requirement=sub/../sub/extra.txt\n")
    (tmp_path / "sub" / "extra.txt").write_text(f"idna --hash=sha256:{HASH} --hash sha256:{HASH.upper()}\n")
    found = parse_requirements(tmp_path / "reqs.txt")
    assert [str(e.requirement) for e in found.requirements] == ["attrs", "idna"]
    assert [str(e.requirement) for e in found.constraints] == ["attrs==25.1.0", "idna<4"]  # a -r inside -c constrains
    assert found.requirements[1].hashes == (f"sha256:{HASH}", f"sha256:{HASH}")
    assert found.requirements[1].path == str(tmp_path / "sub" / "../sub/extra.txt")


def test_index_options_are_collected():
    found = parse_requirements_text("-i https://a.example/simple\n--extra-index-url=https://b.example/simple\n"
                                    "-f ./wheels\n--pre\n--only-binary :all:\nx\n", "r.txt")
    assert (found.index_url, found.extra_index_urls, found.find_links, found.pre, found.only_binary) == (
        "https://a.example/simple", ["https://b.example/simple"], ["./wheels"], True, [":all:"])


@pytest.mark.parametrize("text, line, message", [
    ("ok\nnot a valid req ===\n", 2, "invalid requirement `not a valid req ===`"),
    ("-e ./project\n", 1, "editable requirements are not supported yet"),
    ("--frobnicate\n", 1, "unknown option `--frobnicate`"),
    ("x --install-option=y\n", 1, "unknown option `--install-option` after a requirement"),
    ("x --hash=md5:00\n", 1, "invalid hash `md5:00`"),
    ("x --hash=sha256:1234\n", 1, "invalid hash `sha256:1234`"),
    ("ok\n\nx \\\n  --hash\n", 3, "--hash needs a value"),
    ("pkg @ https://example.com/pkg-1.0.tar.gz\n", 1, "is a direct URL requirement"),
    ("--index-url\n", 1, "--index-url needs a value"),
    ("-r 'unclosed\n", 1, "cannot split the line"),
])
def test_errors_name_the_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "reqs.txt"
    path.write_text(text)
    with pytest.raises(InputFileError) as info:
        parse_requirements(path)
    assert info.value.exit_code == 2 and info.value.line == line and info.value.path == str(path)
    assert message in str(info.value) and info.value.hint


def test_missing_includes_and_cycles(tmp_path):
    (tmp_path / "a.txt").write_text("x\n-r b.txt\n")
    (tmp_path / "b.txt").write_text("-r a.txt\n")
    with pytest.raises(InputFileError, match="includes itself") as info:
        parse_requirements(tmp_path / "a.txt")
    assert info.value.path == str(tmp_path / "b.txt") and info.value.line == 1
    (tmp_path / "c.txt").write_text("\n-c missing.txt\n")
    with pytest.raises(InputFileError, match="cannot read .*missing.txt") as info:
        parse_requirements(tmp_path / "c.txt")
    assert info.value.line == 2
    with pytest.raises(InputFileError, match="cannot read the file"):
        parse_requirements(tmp_path / "absent.txt")
