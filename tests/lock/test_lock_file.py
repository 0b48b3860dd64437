"""pylock.toml: written deterministically, read back equal through packaging, malformed files refused clearly."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.pylock import Package, PackageArchive, PackageWheel, Pylock
from packaging.tags import Tag
from packaging.version import Version

from pkm.errors import InputFileError, PkmError
from pkm.lock import (
    environment_marker,
    package_from_artifacts,
    parse_lock,
    pins_from_lock,
    read_lock,
    render_lock,
    single_environment_requires_python,
    write_lock,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ENV = {"python_version": "3.11", "python_full_version": "3.11.7", "implementation_name": "cpython",
       "sys_platform": "linux", "platform_machine": "x86_64", "os_name": "posix", "platform_system": "Linux",
       "platform_release": "", "platform_version": "", "platform_python_implementation": "CPython",
       "implementation_version": "3.11.7"}
TAGS = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("cp311", "abi3", "manylinux_2_17_x86_64"),
        Tag("py3", "none", "any")]


def art(filename, digest="a", size=100, upload_time=None, base="https://files.example/"):
    return SimpleNamespace(filename=filename, url=base + filename, hashes={"sha256": digest * 64}, size=size,
                           upload_time=upload_time)


def sample_packages():
    return [
        package_from_artifacts("Zeta_Pkg", "2.0", [art("zeta_pkg-2.0-py3-none-any.whl", "c")],
                               index="https://pypi.org/simple/"),
        package_from_artifacts("attrs", "25.1.0", [
            art("attrs-25.1.0.tar.gz", "b", 2000),
            art("attrs-25.1.0-py3-none-any.whl", "a", 63152, "2025-01-25T11:30:10.164985Z"),
        ], index="https://pypi.org/simple/", requires_python=">=3.8"),
        package_from_artifacts("native", "1.0", [
            art("native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "d"),
            art("native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "e"),
            art("native-1.0-py3-none-any.whl", "f"),
        ], marker="sys_platform == 'linux'"),
        package_from_artifacts("attrs", "24.0", [art("attrs-24.0-py3-none-any.whl", "9")],
                               marker="python_version < '3.8'"),
    ]


def write_sample(path: Path) -> Pylock:
    return write_lock(path, sample_packages(), environments=[environment_marker(ENV)],
                      requires_python=single_environment_requires_python("3.11.7"))


def test_round_trip_gives_an_equal_lock_that_packaging_validates(tmp_path):
    written = write_sample(tmp_path / "pylock.toml")
    text = (tmp_path / "pylock.toml").read_text()
    assert read_lock(tmp_path / "pylock.toml") == written
    Pylock.from_dict(tomllib.loads(text)).validate()  # packaging's own reading, independent of ours
    attrs = next(p for p in written.packages if p.version == Version("25.1.0"))
    wheel = attrs.wheels[0]
    assert (wheel.size, wheel.hashes, attrs.index) == (63152, {"sha256": "a" * 64}, "https://pypi.org/simple/")
    assert wheel.upload_time == datetime.datetime(2025, 1, 25, 11, 30, 10, 164985, tzinfo=datetime.timezone.utc)
    assert attrs.sdist.filename == "attrs-25.1.0.tar.gz" and str(attrs.requires_python) == ">=3.8"


def test_output_is_deterministic_and_sorted(tmp_path):
    write_sample(tmp_path / "a.toml")
    write_lock(tmp_path / "b.toml", list(reversed(sample_packages())), environments=[environment_marker(ENV)],
               requires_python="==3.11.*")
    first = (tmp_path / "a.toml").read_bytes()
    assert first == (tmp_path / "b.toml").read_bytes()
    assert render_lock(read_lock(tmp_path / "a.toml")).encode() == first  # re-rendering changes nothing
    text = first.decode()
    names = [line.split('"')[1] for line in text.splitlines() if line.startswith("name = ")]
    versions = [line.split('"')[1] for line in text.splitlines() if line.startswith("version = ")]
    assert list(zip(names, versions)) == [("attrs", "24.0"), ("attrs", "25.1.0"), ("native", "1.0"), ("zeta-pkg", "2.0")]
    assert text.startswith('lock-version = "1.0"\n'
                           "environments = ['python_version == \"3.11\" and implementation_name == \"cpython\" "
                           "and sys_platform == \"linux\" and platform_machine == \"x86_64\"']\n"
                           'requires-python = "==3.11.*"\ncreated-by = "pkm"\n')
    assert ('    { name = "attrs-25.1.0-py3-none-any.whl", url = "https://files.example/attrs-25.1.0-py3-none-any.whl", '
            'upload-time = 2025-01-25T11:30:10.164985+00:00, size = 63152, hashes = { sha256 = "' + "a" * 64 + '" } },'
            ) in text.splitlines()


def test_strings_that_need_escaping_survive(tmp_path):
    odd = art("odd-1.0-py3-none-any.whl", base='https://x.example/a "b" \\ c\t/')
    write_lock(tmp_path / "pylock.toml", [package_from_artifacts("odd", "1.0", [odd])], created_by="pkm \"test\"")
    lock = read_lock(tmp_path / "pylock.toml")
    assert lock.packages[0].wheels[0].url == 'https://x.example/a "b" \\ c\t/odd-1.0-py3-none-any.whl'
    assert lock.created_by == 'pkm "test"'


def test_a_direct_archive_package_is_written_too(tmp_path):
    archive = Package(name="local", version=Version("0.1"),
                      archive=PackageArchive(path="dist/local-0.1.tar.gz", hashes={"sha256": "1" * 64}))
    write_lock(tmp_path / "pylock.toml", [archive])
    assert read_lock(tmp_path / "pylock.toml").packages[0].archive.path == "dist/local-0.1.tar.gz"


def test_a_lock_packaging_refuses_is_never_written(tmp_path):
    bad = package_from_artifacts("attrs", "1.0", [art("other-1.0-py3-none-any.whl")])
    with pytest.raises(ValueError, match="not consistent with package name"):
        write_lock(tmp_path / "pylock.toml", [bad])
    assert not (tmp_path / "pylock.toml").exists()


def test_malformed_toml_names_the_file_and_line(tmp_path):
    path = tmp_path / "pylock.toml"
    path.write_text('lock-version = "1.0"\ncreated-by = "x"\n[[packages]\nname = "a"\n')
    with pytest.raises(InputFileError) as info:
        read_lock(path)
    assert info.value.exit_code == 2 and info.value.line == 3 and str(path) in str(info.value)


def test_an_invalid_lock_points_at_the_package(tmp_path):
    path = tmp_path / "pylock.toml"
    write_sample(path)
    text = path.read_text().replace('hashes = { sha256 = "' + "d" * 64 + '" }', "hashes = {}")
    path.write_text(text)
    with pytest.raises(InputFileError) as info:
        read_lock(path)
    lines = text.splitlines()
    assert "At least one hash must be provided" in str(info.value) and "packages[2].wheels[0].hashes" in str(info.value)
    assert "hashes = {}" in lines[info.value.line - 1] and info.value.hint


def test_missing_keys_and_versions_are_refused(tmp_path):
    with pytest.raises(InputFileError, match="Missing required value.*created-by"):
        parse_lock('lock-version = "1.0"\npackages = []\n')
    with pytest.raises(InputFileError, match="not supported"):
        parse_lock('lock-version = "2.0"\ncreated-by = "x"\npackages = []\n')
    with pytest.raises(InputFileError, match="no such lock file"):
        read_lock(tmp_path / "absent.toml")


def test_pins_take_the_best_wheel_and_skip_packages_whose_marker_fails(tmp_path):
    lock = write_sample(tmp_path / "pylock.toml")
    pins = pins_from_lock(lock, marker_env=ENV, tags=TAGS, lock_dir=tmp_path)
    assert [(p.name, p.version, p.filename) for p in pins] == [
        ("attrs", "25.1.0", "attrs-25.1.0-py3-none-any.whl"),
        ("native", "1.0", "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        ("zeta-pkg", "2.0", "zeta_pkg-2.0-py3-none-any.whl"),
    ]
    assert pins[1].sha256 == "d" * 64 and pins[0].size == 63152 and pins[0].index == "https://pypi.org/simple/"


def test_pins_fall_back_to_the_sdist_and_say_so(tmp_path):
    lock = write_lock(tmp_path / "pylock.toml", [package_from_artifacts("src", "1.0", [
        art("src-1.0.tar.gz"), art("src-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")])])
    [pin] = pins_from_lock(lock, marker_env=ENV, tags=TAGS, lock_dir=tmp_path)
    assert (pin.kind, pin.filename, pin.is_wheel) == ("sdist", "src-1.0.tar.gz", False)


def test_a_lock_for_another_environment_is_refused(tmp_path):
    lock = write_sample(tmp_path / "pylock.toml")
    with pytest.raises(PkmError, match="does not fit this environment") as info:
        pins_from_lock(lock, marker_env=dict(ENV, python_version="3.12", python_full_version="3.12.1"), tags=TAGS,
                       lock_dir=tmp_path)
    assert "3.12.1" in info.value.why


def test_relative_paths_resolve_against_the_lock_and_sha256_is_required(tmp_path):
    pkg = Package(name="loc", version=Version("1.0"), wheels=[
        PackageWheel(path="wheels/loc-1.0-py3-none-any.whl",
                     hashes={"sha256": "A" * 64})])
    lock = write_lock(tmp_path / "pylock.toml", [pkg])
    [pin] = pins_from_lock(lock, marker_env=ENV, tags=TAGS, lock_dir=tmp_path)
    assert pin.local_path() == tmp_path / "wheels" / "loc-1.0-py3-none-any.whl" and pin.sha256 == "a" * 64
    md5_only = package_from_artifacts("m", "1.0", [SimpleNamespace(
        filename="m-1.0-py3-none-any.whl", url="https://x/m-1.0-py3-none-any.whl", hashes={"md5": "0" * 32})])
    lock = write_lock(tmp_path / "md5.toml", [md5_only])
    with pytest.raises(PkmError, match="has no sha256 hash"):
        pins_from_lock(lock, marker_env=ENV, tags=TAGS, lock_dir=tmp_path)


def test_dependencies_and_tool_tables_round_trip(tmp_path):
    base = package_from_artifacts("app", "1.0", [art("app-1.0-py3-none-any.whl")])
    app = Package(name=base.name, version=base.version, wheels=base.wheels,
                  dependencies=[{"name": "lib"}, {"name": "other", "version": "2.0"}],
                  tool={"pkm": {"requested": True, "groups": ["dev"], "nested": {"deep": 1}}})
    lib = package_from_artifacts("lib", "2.0", [art("lib-2.0-py3-none-any.whl", "b")])
    written = make_lock_with_tool(tmp_path / "pylock.toml", [lib, app])
    text = (tmp_path / "pylock.toml").read_text()
    assert read_lock(tmp_path / "pylock.toml") == written
    assert "[packages.tool.pkm]" in text and "[tool.pkm]" in text
    assert text.index("[packages.tool.pkm]") < text.index('[[packages]]\nname = "lib"')  # app's tool table stays with app


def make_lock_with_tool(path, packages):
    lock = Pylock(lock_version=Version("1.0"), created_by="pkm", packages=sorted(packages, key=lambda p: p.name),
                  tool={"pkm": {"format": 1}})
    lock.validate()
    path.write_text(render_lock(lock))
    return lock
