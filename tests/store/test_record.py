"""RECORD helpers the store and the installer share: dist-info names, the RECORD policy."""

from __future__ import annotations

import pytest

from pkm.store import RecordRow, UnsafeArchiveError, check_record, parse_dist_info


@pytest.mark.parametrize("dirname, parsed", [
    ("foo-1.0.dist-info", ("foo", "1.0")),
    ("foo_bar-2.0.post1.dist-info", ("foo_bar", "2.0.post1")),
    ("foo-bar-1.0.dist-info", ("foo-bar", "1.0")),  # a dash left in the name by an older tool: never `foo`
    ("py-2to3-1.0+local.dist-info", ("py-2to3", "1.0+local")),
    ("odd-name-not.a.version.dist-info", ("odd", "name-not.a.version")),
    ("foo.dist-info", None),
    ("-1.0.dist-info", None),
    ("foo-1.0.egg-info", None),
])
def test_dist_info_names_are_parsed_as_name_and_version(dirname, parsed):
    assert parse_dist_info(dirname) == parsed


def test_record_policy_names_the_verb_and_the_problem():
    rows = [RecordRow("a.py", "sha256=abc", 3), RecordRow("x-1.0.dist-info/RECORD")]
    with pytest.raises(UnsafeArchiveError) as caught:
        check_record("x-1.0-py3-none-any.whl", "x-1.0.dist-info", rows, {"a.py": ("sha256=abd", 3)}, verb="unpack")
    assert caught.value.what == "refusing to unpack x-1.0-py3-none-any.whl: 'a.py' does not match RECORD"
    assert caught.value.why == "RECORD says sha256=abc, the file has sha256=abd"
    assert check_record("w", "x-1.0.dist-info", rows, {"a.py": ("", 3)}) == {
        "a.py": rows[0], "x-1.0.dist-info/RECORD": rows[1]}  # size-only check of a trusted tree


def test_record_rows_render_as_csv_and_parse_back_even_with_commas_and_quotes():
    import csv
    import io

    from pkm.store import parse_record, render_record, render_record_rows

    plain = [("pkg/b.py", "sha256=bbb", 2), ("pkg/a.py", "sha256=aaa", 10), ("pkg-1.0.dist-info/RECORD", "", None)]
    assert render_record_rows(plain) == (b"pkg-1.0.dist-info/RECORD,,\npkg/a.py,sha256=aaa,10\n"
                                         b"pkg/b.py,sha256=bbb,2\n")
    odd = plain + [("pkg/a,b.txt", "sha256=ccc", 1), ('pkg/say "hi".txt', "sha256=ddd", 3)]
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    for path, digest, size in sorted(odd):
        writer.writerow((path, digest, "" if size is None else size))
    data = render_record_rows(odd)
    assert data == expected.getvalue().encode()
    assert render_record([RecordRow(*row) for row in odd]) == data
    assert [(r.path, r.hash, r.size) for r in parse_record(data, where="RECORD")] == sorted(odd)
