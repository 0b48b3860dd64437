"""Reading distributions for upload and the pre-flight checks: bad files are caught before anything is sent."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from pkm.errors import PkmError
from pkm.publish import check_files, collect_files, preflight_error, read_distribution
from support.dists import make_tar, make_wheel, make_zip, read_zip

MARKDOWN = "Description-Content-Type: text/markdown\n\n# Foo\n\nSome text.\n"


def _retag(wheel, tmp_path, old: bytes, new: bytes, name=None):
    """A copy of `wheel` (named `name`) whose METADATA has `old` replaced by `new`."""
    members = read_zip(wheel)
    key = next(k for k in members if k.endswith(".dist-info/METADATA"))
    members[key] = members[key].replace(old, new)
    return make_zip(tmp_path / "out" / (name or wheel.name), members)


def test_a_wheel_is_read_with_its_metadata_kind_and_digests(dists):
    wheel = dists.wheel("Foo.Bar", "1.0", dependencies=["idna>=3"], metadata_extra=MARKDOWN, tag="cp311-abi3-linux_x86_64")
    dist = read_distribution(wheel)
    data = wheel.read_bytes()
    assert (dist.filetype, dist.name, str(dist.version), dist.pyversion) == ("bdist_wheel", "foo-bar", "1.0", "cp311")
    assert (dist.size, dist.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert dist.blake2_256 == hashlib.blake2b(data, digest_size=32).hexdigest()
    assert dist.md5 == hashlib.md5(data).hexdigest()
    assert dist.raw["name"] == "Foo.Bar" and dist.raw["requires_dist"] == ["idna>=3"]
    assert dist.raw["description"].startswith("# Foo")


def test_an_sdist_is_read_from_its_pkg_info(dists):
    dist = read_distribution(dists.sdist("foo", "2.0"))
    assert (dist.filetype, dist.pyversion, dist.raw["version"], dist.raw["metadata_version"]) == (
        "sdist", "source", "2.0", "2.2")


def test_good_files_pass_with_normalized_names_and_versions(dists):
    wheel = dists.wheel("Foo.Bar", "1.0.0", metadata_extra=MARKDOWN)  # file foo_bar-1.0.0, metadata Foo.Bar
    checked = check_files([wheel, dists.sdist("foo-bar", "1.0.0")], rst_check=None)
    assert checked.problems == [] and checked.notes == []
    assert [d.filename for d in checked.distributions] == [wheel.name, "foo_bar-1.0.0.tar.gz"]


def test_name_and_version_must_match_the_file_name(dists, tmp_path):
    wheel = dists.wheel("foo", "1.0", metadata_extra=MARKDOWN)
    renamed = tmp_path / "bar-1.0-py3-none-any.whl"
    shutil.copy(wheel, renamed)
    other_version = _retag(wheel, tmp_path, b"Version: 1.0", b"Version: 1.0.post1")
    checked = check_files([renamed, other_version], rst_check=None)
    assert checked.distributions == []
    whats = [p.what for p in checked.problems]
    assert whats == ["the metadata names `foo`, but the file name says `bar`",
                     "the metadata says version 1.0.post1, but the file name says 1.0"]


def test_invalid_metadata_is_reported_field_by_field(dists, tmp_path):
    wheel = dists.wheel("foo", "1.0", metadata_extra=MARKDOWN)
    bad = _retag(wheel, tmp_path, b"Version: 1.0\n", b"Version: 1.0-not-pep440\nRequires-Dist: ???\nColour: red\n")
    problems = check_files([bad], rst_check=None).problems
    assert [p.what for p in problems] == ["its metadata has unknown or malformed fields: colour"]
    bad = _retag(wheel, tmp_path, b"Version: 1.0\n", b"Version: 1.0-not-pep440\nRequires-Dist: ???\n")
    whats = [p.what for p in check_files([bad], rst_check=None).problems]
    assert whats == ["invalid metadata: '1.0-not-pep440' is invalid for 'version'",
                     "invalid metadata: '???' is invalid for 'requires-dist'"]


def test_a_readme_that_is_not_utf8_is_a_problem(dists, tmp_path):
    wheel = dists.wheel("foo", "1.0", metadata_extra=MARKDOWN)
    bad = _retag(wheel, tmp_path, b"Some text.", b"Some \xff text.")
    assert [p.what for p in check_files([bad], None).problems] == [
        "the readme (the metadata's body) is not valid UTF-8"]


def test_readme_problems_and_notes_come_through(dists):
    html = dists.wheel("foo", "1.0", metadata_extra="Description-Content-Type: text/html\n\n<p>hi</p>\n")
    rst = dists.wheel("bar", "1.0", metadata_extra="Description-Content-Type: text/x-rst\n\nTitle\n=====\n")
    checked = check_files([html, rst], rst_check=None)
    assert [p.what for p in checked.problems] == ["the readme's content type `text/html` is not one PyPI renders"]
    assert checked.notes == [f"{rst.name}: reStructuredText readme not checked: docutils is not installed "
                             "(install it to check the readme as PyPI renders it)"]


def test_missing_unreadable_and_foreign_files_are_problems(tmp_path, dists):
    junk = tmp_path / "notes.txt"
    junk.write_text("hi")
    broken = tmp_path / "foo-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    empty_wheel = make_zip(tmp_path / "bar-1.0-py3-none-any.whl", {"bar/__init__.py": ""})
    no_pkg_info = make_tar(tmp_path / "foo-1.0.tar.gz", {"foo-1.0/setup.py": ""})
    problems = check_files([tmp_path / "gone-1.0.tar.gz", junk, broken, empty_wheel, no_pkg_info], None).problems
    assert [p.what.split(" (")[0] for p in problems] == [
        f"{tmp_path / 'gone-1.0.tar.gz'} does not exist",
        "notes.txt is neither a wheel nor an sdist",
        "foo-1.0-py3-none-any.whl is not a readable wheel",
        "bar-1.0-py3-none-any.whl has no .dist-info/METADATA",
        "foo-1.0.tar.gz has no NAME-VERSION/PKG-INFO at its top level",
    ]
    assert all(p.hint for p in problems)


def test_a_file_given_twice_is_a_problem_even_from_two_directories(dists, tmp_path):
    wheel = dists.wheel("foo", "1.0", metadata_extra=MARKDOWN)
    copy = tmp_path / "elsewhere" / wheel.name
    copy.parent.mkdir()
    shutil.copy(wheel, copy)
    checked = check_files([wheel, wheel, copy], None)
    assert [p.what for p in checked.problems] == ["given twice", f"given twice (also as {wheel})"]


def test_preflight_error_is_the_problem_itself_or_a_list_with_fixes(dists, tmp_path):
    problems = check_files([tmp_path / "a.txt", tmp_path / "b.txt"], None).problems
    single = preflight_error(problems[:1])
    assert single.what.startswith("a.txt: ") and single.hint and "nothing was uploaded" in single.why
    both = preflight_error(problems)
    assert both.what == "2 problems with the files to upload; nothing was uploaded"
    assert both.why.count("  fix: ") == 2


def test_collect_files_defaults_to_the_dists_in_dist(tmp_path, dists):
    (tmp_path / "dist").mkdir()
    with pytest.raises(PkmError, match="no wheel or sdist in") as info:
        collect_files([], tmp_path)
    assert "pkm build" in info.value.hint
    wheel = make_wheel(tmp_path / "dist", "foo", "1.0")
    (tmp_path / "dist" / "README").write_text("not a dist")
    (tmp_path / "dist" / "foo-1.0.tar.gz").write_bytes(b"")
    assert collect_files([], tmp_path) == [wheel, tmp_path / "dist" / "foo-1.0.tar.gz"]
    assert collect_files(["dist/*.whl"], tmp_path) == [wheel]
    assert collect_files(["dist", "dist/README"], tmp_path) == [wheel, tmp_path / "dist" / "foo-1.0.tar.gz",
                                                                tmp_path / "dist" / "README"]
    assert collect_files(["dist/nothing-*.whl"], tmp_path) == [tmp_path / "dist/nothing-*.whl"]
