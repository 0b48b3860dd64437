"""The Python layer of the resolver on FakeIndex: extras, markers, requires-python, pre-releases, yanked,
binary rules, sdists, constraints and overrides, targets, prefetching."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.tags import Tag

from pkm.errors import OfflineError, UsageError
from pkm.index import FakeIndex
from pkm.resolver import NoResolution, Options, Target, resolve
from pkm.ui.report import render_no_solution

PY311 = Target.synthesize("3.11.7", "linux")


def _resolve(index, *requirements, target=PY311, **options):
    resolution = resolve([Requirement(r) for r in requirements], index, target, Options(**options))
    return {p.name: str(p.version) for p in resolution.packages}


def _failure(index, *requirements, target=PY311, **options):
    with pytest.raises(NoResolution) as caught:
        resolve([Requirement(r) for r in requirements], index, target, Options(**options))
    error = caught.value
    text = render_no_solution(error.failure, root_label=error.root_label, versions=error.known_versions)
    return text, list(error.hints)


def test_newest_versions_and_transitive_dependencies():
    index = FakeIndex()
    index.add("app", "1.0", dependencies=["lib>=1,<3"])
    for version in ("1.0", "2.5", "3.0"):
        index.add("lib", version)
    assert _resolve(index, "App") == {"app": "1.0", "lib": "2.5"}


def test_extras_are_pinned_to_their_base_version():
    index = FakeIndex()
    index.add("web", "1.0", extras=["http2"], dependencies=["h2>=4; extra == 'http2'"])
    index.add("web", "2.0", extras=["http2"], dependencies=["h2>=9; extra == 'HTTP2'"])
    index.add("h2", "4.1")
    resolution = resolve([Requirement("web[http2]")], index, PY311)
    assert {p.name: (str(p.version), p.extras) for p in resolution.packages} == {
        "h2": ("4.1", ()), "web": ("1.0", ("http2",))}
    assert _resolve(index, "web") == {"web": "2.0"}  # without the extra, 2.0 needs nothing


def test_a_missing_extra_is_a_warning_not_a_failure():
    index = FakeIndex()
    index.add("web", "1.0")
    resolution = resolve([Requirement("web[nope]")], index, PY311)
    assert [str(p.version) for p in resolution.packages] == ["1.0"]
    assert resolution.warnings == ("web 1.0 does not provide the extra `nope`",)


def test_markers_are_evaluated_for_the_target():
    index = FakeIndex()
    index.add("tool", "1.0", dependencies=["winonly; sys_platform == 'win32'", "backport; python_version < '3.10'"])
    index.add("winonly", "1.0")
    index.add("backport", "1.0")
    assert _resolve(index, "tool") == {"tool": "1.0"}
    windows39 = Target.synthesize("3.9", "windows")
    assert _resolve(index, "tool", target=windows39) == {"backport": "1.0", "tool": "1.0", "winonly": "1.0"}
    assert _resolve(index, "tool", "winonly; sys_platform == 'darwin'") == {"tool": "1.0"}


def test_requires_python_skips_versions_and_is_named():
    index = FakeIndex()
    index.add("alpha", "1.0", dependencies=["beta<2"])
    index.add("alpha", "2.0", dependencies=["beta>=2"])
    index.add("beta", "1.0")
    index.add("beta", "2.0", requires_python=">=3.12")
    assert _resolve(index, "alpha") == {"alpha": "1.0", "beta": "1.0"}
    text, hints = _failure(index, "alpha>=2.0")
    assert text.splitlines() == [
        "Because alpha>=2.0 depends on beta>=2 and beta>=2.0 depends on Python>=3.12, alpha>=2.0 requires Python>=3.12.",
        "And because you require both alpha>=2.0 and Python==3.11.7, the requirements are unsatisfiable.",
    ]
    assert hints == ["beta 2.0 requires Python >=3.12; this Python is 3.11.7"]
    assert _resolve(index, "alpha>=2.0", target=Target.synthesize("3.12", "linux")) == {"alpha": "2.0", "beta": "2.0"}


def test_prereleases_per_pep_440():
    index = FakeIndex()
    index.add("lib", "1.0")
    index.add("lib", "2.0rc1")
    index.add("onlypre", "1.0a1")
    assert _resolve(index, "lib") == {"lib": "1.0"}
    assert _resolve(index, "lib", prereleases="allow") == {"lib": "2.0rc1"}
    assert _resolve(index, "lib>=2.0rc1") == {"lib": "2.0rc1"}  # named by the requirement
    assert _resolve(index, "onlypre") == {"onlypre": "1.0a1"}  # no final release at all
    text, hints = _failure(index, "onlypre", prereleases="disallow")
    assert "there is no version of onlypre" in text
    assert hints == ["onlypre 1.0a1 is a pre-release; pass --prerelease allow to use it"]
    with pytest.raises(ValueError):
        Options(prereleases="sometimes")


def test_yanked_versions_need_an_exact_pin_from_the_user():
    index = FakeIndex()
    index.add("lib", "1.0")
    index.add("lib", "1.1", yanked="broken")
    index.add("app", "1.0", dependencies=["lib==1.1"])
    assert _resolve(index, "lib") == {"lib": "1.0"}
    assert _resolve(index, "lib==1.1") == {"lib": "1.1"}
    assert _resolve(index, "lib===1.1") == {"lib": "1.1"}
    _, hints = _failure(index, "app")  # a dependency's pin does not unyank
    assert hints == ["lib 1.1 is yanked; pin it with `lib==1.1` to use it anyway"]
    assert _resolve(index, "app", constraints=(Requirement("lib==1.1"),)) == {"app": "1.0", "lib": "1.1"}


def test_wheel_tags_and_binary_rules():
    index = FakeIndex()
    index.add("native", "1.0", filenames=["native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"])
    index.add("native", "2.0", filenames=["native-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"])
    index.add("pure", "1.0", filenames=["pure-1.0-py3-none-any.whl", "pure-1.0.tar.gz"])
    resolution = resolve([Requirement("native"), Requirement("pure")], index, PY311)
    assert [(p.name, str(p.version), p.artifact.filename) for p in resolution.packages] == [
        ("native", "1.0", "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        ("pure", "1.0", "pure-1.0-py3-none-any.whl"),
    ]
    text, hints = _failure(index, "native>=2")
    assert 'native>=2.0 is unavailable ("it has no wheel for CPython 3.11.7 on linux")' in text
    assert hints == ["native 2.0 has wheels only for other platforms (cp312-cp312-manylinux_2_17_x86_64)"]
    text, _ = _failure(index, "native", no_binary=frozenset({":all:"}))
    assert "it has only wheels, and binaries are excluded (--no-binary)" in text
    # The fake sdist's PKG-INFO is Metadata-Version 2.1: not static, so it would have to be built.
    text, _ = _failure(index, "pure", no_binary=frozenset({"pure"}))
    assert 'every version of pure is unavailable ("its wheels are excluded (--no-binary) and its sdist would have to be built")' in text


def test_an_sdist_with_static_metadata_is_used_without_building(tmp_path):
    index = FakeIndex()
    static = "Metadata-Version: 2.2\nName: src\nVersion: 1.0\nRequires-Dist: lib\n"
    index.add("src", "1.0", metadata=static, filenames=["src-1.0.tar.gz"])
    index.add("lib", "1.0")
    dynamic = "Metadata-Version: 2.2\nName: dyn\nVersion: 1.0\nDynamic: Requires-Dist\n"
    index.add("dyn", "1.0", metadata=dynamic, filenames=["dyn-1.0.tar.gz"])
    resolution = resolve([Requirement("src")], index, PY311, Options(tmp_dir=tmp_path))
    assert {p.name: p.artifact.filename for p in resolution.packages} == {"lib": "lib-1.0-py3-none-any.whl",
                                                                          "src": "src-1.0.tar.gz"}
    text, _ = _failure(index, "dyn", tmp_dir=tmp_path)
    assert "its sdist would have to be built" in text
    text, _ = _failure(index, "src", only_binary=frozenset({":all:"}))
    assert "sdists are excluded (--only-binary)" in text
    assert list(tmp_path.iterdir()) == []  # downloads are cleaned up


def test_constraints_narrow_and_overrides_replace():
    index = FakeIndex()
    index.add("app", "1.0", dependencies=["lib<2"])
    index.add("lib", "1.0")
    index.add("lib", "1.5")
    index.add("lib", "2.0")
    constraint = (Requirement("lib!=1.5"), Requirement("unrelated==1"))
    assert _resolve(index, "app", constraints=constraint) == {"app": "1.0", "lib": "1.0"}
    assert _resolve(index, "app", overrides=(Requirement("lib>=2"),)) == {"app": "1.0", "lib": "2.0"}
    text, _ = _failure(index, "app", constraints=(Requirement("lib>=2"),))
    assert "depends on lib>=2" not in text and "the requirements are unsatisfiable" in text


def test_a_missing_project_fails_with_where_it_was_looked_for():
    index = FakeIndex()
    index.add("app", "1.0", dependencies=["ghost"])
    text, hints = _failure(index, "app")
    assert "there is no version of ghost" in text
    assert hints == ["ghost was not found on the index (searched: fake://index/)"]


def test_offline_without_a_cached_page_is_an_error():
    with pytest.raises(OfflineError, match="not cached and the network is off"):
        resolve([Requirement("lib")], FakeIndex(offline=True), PY311)


def test_a_direct_url_pins_its_archive_and_contradictions_are_named():
    index = FakeIndex()
    index.add("app", "1.0", dependencies=["lib>=1"])
    old, = index.add("lib", "1.0")
    index.add("lib", "2.0")
    found = resolve([Requirement("app"), Requirement(f"lib @ {old.url}")], index, PY311)
    assert {p.name: str(p.version) for p in found.packages} == {"app": "1.0", "lib": "1.0"}
    assert [p.artifact.url for p in found.packages if p.name == "lib"] == [old.url]
    with pytest.raises(NoResolution) as caught:
        resolve([Requirement(f"lib @ {old.url}"), Requirement("lib>=2")], index, PY311)
    assert caught.value.why == f"you require lib @ {old.url} and lib>=2: no version of lib is all of these."
    with pytest.raises(UsageError, match="pkm cannot use git\\+https URLs"):
        resolve([Requirement("lib @ git+https://example.invalid/lib.git")], index, PY311)
    with pytest.raises(UsageError, match="does not name a wheel or an sdist"):
        resolve([Requirement("lib @ file:///src/lib")], index, PY311)


def test_pages_and_metadata_are_prefetched_ahead_of_the_solver():
    index = FakeIndex()
    index.add("app", "1.0", dependencies=["a", "b", "c"])
    for name in "abc":
        index.add(name, "1.0")
    assert _resolve(index, "app") == {"a": "1.0", "app": "1.0", "b": "1.0", "c": "1.0"}
    prefetched = {name for kind, name in index.calls if kind == "prefetch"}
    assert prefetched == {"a", "b", "c"}
    metadata = {name for kind, name in index.calls if kind == "prefetch_metadata"}
    assert {"a-1.0-py3-none-any.whl", "b-1.0-py3-none-any.whl", "c-1.0-py3-none-any.whl"} <= metadata
    assert sum(1 for kind, _ in index.calls if kind == "project_page") == 4  # each page asked once


def test_synthesized_targets():
    linux = Target.synthesize("3.12", "linux", manylinux=(2, 17))
    assert linux.markers["sys_platform"] == "linux" and linux.markers["python_full_version"] == "3.12.0"
    assert Tag("cp312", "cp312", "manylinux2014_x86_64") in linux.tags
    assert Tag("cp312", "cp312", "manylinux_2_28_x86_64") not in linux.tags
    assert Tag("py3", "none", "any") in linux.tags
    mac = Target.synthesize("3.10.4", "macos")
    assert (mac.markers["platform_system"], str(mac.python_version)) == ("Darwin", "3.10.4")
    assert any(t.platform.startswith("macosx_14_0_arm64") for t in mac.tags)
    windows = Target.synthesize("3.9", "windows")
    assert windows.markers["os_name"] == "nt" and Tag("cp39", "cp39", "win_amd64") in windows.tags
    with pytest.raises(UsageError, match="unknown platform"):
        Target.synthesize("3.12", "beos")
    with pytest.raises(UsageError, match="not a Python"):
        Target.synthesize("three", "linux")


def test_a_package_that_keeps_failing_against_an_earlier_choice_is_decided_first_after_a_restart():
    # boto3's shape: every `cloud` version pins its own `core`, and every `core` needs
    # `dateutil<2`; `frames` (decided first: it has one version) lets dateutil 2.0 in first.
    index = FakeIndex()
    index.add("frames", "1.0", dependencies=["dateutil>=1"])
    index.add("dateutil", "1.0")
    index.add("dateutil", "2.0")
    for minor in range(40):
        index.add("cloud", f"1.{minor}", dependencies=[f"core==1.{minor}"])
        index.add("core", f"1.{minor}", dependencies=["dateutil<2"])
    assert _resolve(index, "frames", "cloud") == {"cloud": "1.39", "core": "1.39", "dateutil": "1.0", "frames": "1.0"}
    core_metadata = [f for kind, f in index.calls if kind == "core_metadata" and f.startswith("core-")]
    assert len(core_metadata) < 15  # not one per cloud version: the restart decided cloud and core first


def test_preferences_keep_locked_versions_that_still_fit():
    from packaging.version import Version

    index = FakeIndex()
    for version in ("1.0", "1.1", "2.0"):
        index.add("lib", version)
    index.add("lib", "1.2", yanked="bad")
    prefer = (("lib", Version("1.1")),)
    assert _resolve(index, "lib", preferences=prefer) == {"lib": "1.1"}
    assert _resolve(index, "lib>=2", preferences=prefer) == {"lib": "2.0"}  # no longer fits: newest instead
    assert _resolve(index, "lib", preferences=(("lib", Version("1.2")),)) == {"lib": "2.0"}  # yanked since
