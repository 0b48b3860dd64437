"""The dist factory builds real, spec-correct, reproducible wheels and sdists (and raw archives on request)."""

from __future__ import annotations

import csv
import io
import stat
import tarfile
import zipfile

import pytest
from packaging.metadata import Metadata
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from support.dists import make_sdist, make_tar, make_wheel, make_zip, read_zip, record_hash


def read_member(archive_path, member: str) -> bytes:
    with zipfile.ZipFile(archive_path) as archive:
        return archive.read(member)


def test_wheel_name_is_normalized(tmp_path):
    wheel = make_wheel(tmp_path, "Foo.Bar-baz", "1.0.0-RC1")
    assert wheel.name == "foo_bar_baz-1.0.0rc1-py3-none-any.whl"
    name, version, build, tags = parse_wheel_filename(wheel.name)
    assert (name, version, build) == ("foo-bar-baz", Version("1.0.0rc1"), ())
    assert tags == frozenset({Tag("py3", "none", "any")})


def test_wheel_metadata_parses_with_deps_extras_and_requires_python(tmp_path):
    wheel = make_wheel(
        tmp_path,
        "foo",
        "1.2",
        dependencies=["idna>=3", "colorama; sys_platform == 'win32'"],
        extras={"Socks": ["pysocks>=1.5"], "fast": ["ujson; python_version < '3.12'"]},
        requires_python=">=3.9",
    )
    meta = Metadata.from_email(read_member(wheel, "foo-1.2.dist-info/METADATA"))
    assert meta.name == "foo" and meta.version == Version("1.2")
    assert meta.requires_python == SpecifierSet(">=3.9")
    assert sorted(meta.provides_extra) == ["fast", "socks"]
    requirements = {str(r) for r in meta.requires_dist}
    assert 'idna>=3' in requirements
    assert 'colorama; sys_platform == "win32"' in requirements
    socks = next(r for r in meta.requires_dist if r.name == "pysocks")
    assert socks.marker.evaluate({"extra": "socks"}) and not socks.marker.evaluate({"extra": ""})
    ujson = next(r for r in meta.requires_dist if r.name == "ujson")
    assert ujson.marker.evaluate({"extra": "fast", "python_version": "3.11"})
    assert not ujson.marker.evaluate({"extra": "fast", "python_version": "3.12"})


def test_wheel_record_hashes_and_sizes_verify(tmp_path):
    wheel = make_wheel(
        tmp_path,
        "foo",
        "1.0",
        files={"foo/__init__.py": "x = 1\n", "foo/data, with comma.txt": b"\x00\x01"},
        entry_points={"console_scripts": {"foo": "foo:main"}},
        data={"scripts": {"foo-tool": "#!python\nprint('hi')\n"}, "headers": {"foo.h": "int x;\n"}},
    )
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        rows = list(csv.reader(io.StringIO(archive.read("foo-1.0.dist-info/RECORD").decode())))
        recorded = {row[0] for row in rows}
        assert recorded == set(names)
        for path, digest, size in rows:
            if path.endswith("/RECORD"):
                assert (digest, size) == ("", "")
                continue
            content = archive.read(path)
            assert digest == record_hash(content) and int(size) == len(content)
        assert names[-1] == "foo-1.0.dist-info/RECORD"
        assert "foo-1.0.data/scripts/foo-tool" in names and "foo-1.0.data/headers/foo.h" in names
        mode = archive.getinfo("foo-1.0.data/scripts/foo-tool").external_attr >> 16
        assert mode & stat.S_IXUSR
        assert b"[console_scripts]\nfoo = foo:main\n" in archive.read("foo-1.0.dist-info/entry_points.txt")


def test_wheel_default_package_and_wheel_file(tmp_path):
    wheel = make_wheel(tmp_path, "My-Pkg", "2.0")
    assert read_member(wheel, "my_pkg/__init__.py") == b'__version__ = "2.0"\n'
    wheel_file = read_member(wheel, "my_pkg-2.0.dist-info/WHEEL").decode()
    assert "Wheel-Version: 1.0" in wheel_file and "Root-Is-Purelib: true" in wheel_file
    assert "Tag: py3-none-any" in wheel_file


def test_wheel_platform_tag_and_build_tag(tmp_path):
    wheel = make_wheel(tmp_path, "ext", "1.0", tag="7-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
    _, _, build, tags = parse_wheel_filename(wheel.name)
    assert build == (7, "") and len(tags) == 2
    wheel_file = read_member(wheel, "ext-1.0.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in wheel_file and "Build: 7" in wheel_file
    assert "Tag: cp311-cp311-manylinux2014_x86_64" in wheel_file


def test_wheel_metadata_extra_and_no_record(tmp_path):
    wheel = make_wheel(tmp_path, "foo", "1.0", metadata_extra="Dynamic: foo\nSummary2: x", record=False)
    assert b"Summary2: x\n" in read_member(wheel, "foo-1.0.dist-info/METADATA")
    with zipfile.ZipFile(wheel) as archive:
        assert "foo-1.0.dist-info/RECORD" not in archive.namelist()


def test_wheel_refuses_a_tag_no_installer_could_parse(tmp_path):
    with pytest.raises(ValueError):
        make_wheel(tmp_path, "foo", "1.0", tag="nonsense")


def test_wheels_are_deterministic(tmp_path):
    kwargs = dict(dependencies=["a"], extras={"x": ["b"]}, entry_points={"console_scripts": {"f": "foo:f"}})
    first = make_wheel(tmp_path / "one", "foo", "1.0", **kwargs).read_bytes()
    second = make_wheel(tmp_path / "two", "foo", "1.0", **kwargs).read_bytes()
    assert first == second
    assert make_wheel(tmp_path / "three", "foo", "1.1", **kwargs).read_bytes() != first


def test_sdist_layout_and_pkg_info(tmp_path):
    sdist = make_sdist(tmp_path, "Foo.Bar", "1.0", dependencies=["idna"], extras={"x": ["b"]}, requires_python=">=3.9")
    assert sdist.name == "foo_bar-1.0.tar.gz"
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        assert {"foo_bar-1.0/PKG-INFO", "foo_bar-1.0/pyproject.toml", "foo_bar-1.0/foo_bar/__init__.py"} <= set(names)
        meta = Metadata.from_email(archive.extractfile("foo_bar-1.0/PKG-INFO").read())
        pyproject = archive.extractfile("foo_bar-1.0/pyproject.toml").read().decode()
    assert meta.metadata_version == "2.2"
    assert meta.name == "Foo.Bar" and meta.requires_python == SpecifierSet(">=3.9")
    assert [str(r) for r in meta.requires_dist] == ["idna", 'b; extra == "x"']
    assert 'build-backend = "setuptools.build_meta"' in pyproject
    assert 'dependencies = ["idna"]' in pyproject and 'requires-python = ">=3.9"' in pyproject


def test_sdist_pyproject_is_a_valid_toml_project(tmp_path):
    from pkm import _toml

    deps = ['bar; python_version < "3.10"']
    sdist = make_sdist(tmp_path, "foo", "1.0", dependencies=deps, build_backend="flit_core.buildapi")
    with tarfile.open(sdist) as archive:
        data = _toml.parse_toml(archive.extractfile("foo-1.0/pyproject.toml").read().decode(), "pyproject.toml")
    assert data["build-system"] == {"requires": ["flit_core>=3.4"], "build-backend": "flit_core.buildapi"}
    assert data["project"]["dependencies"] == ['bar; python_version < "3.10"']
    assert Requirement(data["project"]["dependencies"][0]).name == "bar"


def test_sdist_custom_pyproject_and_files(tmp_path):
    sdist = make_sdist(tmp_path, "foo", "1.0", pyproject="[project]\n", files={"src/foo.py": "x = 1\n"})
    with tarfile.open(sdist) as archive:
        assert archive.extractfile("foo-1.0/pyproject.toml").read() == b"[project]\n"
        assert archive.extractfile("foo-1.0/src/foo.py").read() == b"x = 1\n"


def test_sdists_are_deterministic(tmp_path):
    first = make_sdist(tmp_path / "one", "foo", "1.0").read_bytes()
    assert make_sdist(tmp_path / "two", "foo", "1.0").read_bytes() == first


def test_make_zip_keeps_hostile_names_and_symlinks(tmp_path):
    archive_path = make_zip(
        tmp_path / "evil.zip", {"../escape.txt": b"x", "/etc/abs.txt": "y"}, symlinks={"link": "/etc/passwd"}
    )
    with zipfile.ZipFile(archive_path) as archive:
        assert archive.namelist() == ["../escape.txt", "/etc/abs.txt", "link"]
        link = archive.getinfo("link")
        assert stat.S_ISLNK(link.external_attr >> 16)
        assert archive.read("link") == b"/etc/passwd"


def test_make_tar_keeps_hostile_names_and_links(tmp_path):
    archive_path = make_tar(
        tmp_path / "evil.tar.gz",
        {"../escape.txt": b"x", "/abs.txt": b"y"},
        symlinks={"up": "../../.."},
        hardlinks={"hard": "/etc/passwd"},
    )
    with tarfile.open(archive_path) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert set(members) == {"../escape.txt", "/abs.txt", "up", "hard"}
    assert members["up"].issym() and members["up"].linkname == "../../.."
    assert members["hard"].islnk() and members["hard"].linkname == "/etc/passwd"


def test_make_tar_uncompressed(tmp_path):
    archive_path = make_tar(tmp_path / "plain.tar", {"a": b"1"}, compression="")
    with tarfile.open(archive_path, mode="r:") as archive:
        assert archive.getnames() == ["a"]


def test_read_zip_round_trips_a_wheel_for_tampering(tmp_path):
    wheel = make_wheel(tmp_path / "good", "foo", "1.0")
    members = read_zip(wheel)
    assert list(members)[-1] == "foo-1.0.dist-info/RECORD"
    assert make_zip(tmp_path / "copy" / wheel.name, members).read_bytes() == wheel.read_bytes()
    members["foo/__init__.py"] = b"evil = True\n"
    tampered = make_zip(tmp_path / "bad" / wheel.name, members)
    record = read_zip(tampered)["foo-1.0.dist-info/RECORD"].decode()
    assert record_hash(b"evil = True\n") not in record
