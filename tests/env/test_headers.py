"""Reading METADATA, PKG-INFO and WHEEL header fields without the email package."""

from __future__ import annotations

from pkm.env.dists import header_fields


def test_fields_are_read_up_to_the_body_first_value_wins_and_folded_lines_join():
    data = (b"Metadata-Version: 2.1\r\nName: demo\r\nVersion: 1.0\r\nSummary: a long\r\n  summary\r\n"
            b"Name: not-this-one\r\n Folded: into the ignored repeat\r\nAuthor:\r\n\r\nName: the body\r\n")
    assert header_fields(data) == {"metadata-version": "2.1", "name": "demo", "version": "1.0",
                                   "summary": "a long summary", "author": ""}


def test_field_names_are_case_insensitive_and_odd_lines_are_skipped():
    assert header_fields(b"wheel-VERSION: 1.0\nnot a field\nRoot-Is-Purelib:  true \n") == {
        "wheel-version": "1.0", "root-is-purelib": "true"}
    assert header_fields(b"") == {} and header_fields(b"\nName: after a blank line\n") == {}
    assert header_fields("Name: caf\u00e9\n".encode() + b"Summary: \xff\n")["name"] == "caf\u00e9"


def test_installed_reads_dist_info_and_egg_info_headers(tmp_path):
    from pkm.env import installed

    site = tmp_path / "site-packages"
    for folder, filename, text in [
        ("Foo_Bar-1.0.dist-info", "METADATA", "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\n\nName: body\n"),
        ("legacy-0.3-py3.11.egg-info", "PKG-INFO", "Metadata-Version: 1.0\nName: legacy\nVersion: 0.3\n"),
        ("broken-1.0.dist-info", "METADATA", "Metadata-Version: 2.1\nName: broken\n"),  # no version: skipped
        ("foo_bar-2.0.dist-info", "METADATA", "Name: foo-bar\nVersion: 2.0\n"),  # a second foo-bar: the first wins
    ]:
        (site / folder).mkdir(parents=True)
        (site / folder / filename).write_text(text)
    (site / "empty-1.0.dist-info").mkdir()  # no METADATA at all: skipped
    assert [(d.name, d.version) for d in installed(site)] == [("Foo_Bar", "1.0"), ("legacy", "0.3")]
    assert installed(tmp_path / "missing") == []
