"""Choosing an artifact: wheel tags best-first, sdist fallback, requires-python, yanked, pre-releases."""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

from pkm.index import Artifact, ProjectPage, available_versions, newest_matching, select_artifact

# What a CPython 3.11 on x86_64 Linux would list, best first (abridged).
TAGS = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("cp311", "abi3", "manylinux_2_17_x86_64"),
        Tag("cp311", "none", "manylinux_2_17_x86_64"), Tag("py3", "none", "manylinux_2_17_x86_64"),
        Tag("py3", "none", "any")]
PY311 = Version("3.11.4")


def art(filename, *, requires_python=None, yanked=None):
    return Artifact(filename, f"https://x.example/{filename}", {}, requires_python, yanked)


def choose(*artifacts, **kw):
    kw.setdefault("tags", TAGS)
    kw.setdefault("python_version", PY311)
    return select_artifact(list(artifacts), **kw)


def test_the_wheel_with_the_best_ranked_tag_wins_over_generic_wheels_and_the_sdist():
    sdist = art("demo-1.0.tar.gz")
    generic = art("demo-1.0-py3-none-any.whl")
    abi3 = art("demo-1.0-cp38-abi3-manylinux_2_17_x86_64.whl")  # cp38-abi3 is not in our list: unusable
    native = art("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    assert choose(sdist, generic, abi3, native) is native
    assert choose(sdist, generic, abi3) is generic
    assert choose(sdist, abi3) is sdist
    assert choose(abi3) is None


def test_the_order_of_the_tag_list_decides_not_the_order_of_artifacts():
    first, second = art("demo-1.0-py3-none-any.whl"), art("demo-1.0-cp311-none-manylinux_2_17_x86_64.whl")
    assert choose(first, second) is second
    assert choose(first, second, tags=list(reversed(TAGS))) is first


def test_requires_python_is_respected_and_an_unparsable_value_does_not_hide_the_file():
    old = art("demo-1.0-py3-none-any.whl", requires_python="<3.8")
    sdist = art("demo-1.0.tar.gz", requires_python=">=3.9")
    assert choose(old, sdist) is sdist
    assert choose(old, sdist, python_version=Version("3.7")) is old
    odd = art("demo-1.0-py3-none-any.whl", requires_python=">=3.6.*")
    assert choose(odd) is odd


def test_yanked_files_are_skipped_unless_allowed():
    yanked = art("demo-1.0-py3-none-any.whl", yanked="")
    sdist = art("demo-1.0.tar.gz")
    assert choose(yanked, sdist) is sdist
    assert choose(yanked, sdist, allow_yanked=True) is yanked


def test_no_binary_and_only_binary():
    wheel, sdist = art("demo-1.0-py3-none-any.whl"), art("demo-1.0.tar.gz")
    assert choose(wheel, sdist, no_binary=True) is sdist
    assert choose(sdist, only_binary=True) is None
    assert choose(wheel, sdist, only_binary=True) is wheel


def test_a_higher_build_tag_wins_among_equal_tags():
    plain, rebuilt = art("demo-1.0-py3-none-any.whl"), art("demo-1.0-2-py3-none-any.whl")
    assert choose(plain, rebuilt) is rebuilt


def page(*artifacts):
    return ProjectPage("demo", tuple(artifacts), "https://x.example/simple/")


def test_newest_matching_picks_the_newest_version_that_has_a_usable_artifact():
    p = page(art("demo-1.0-py3-none-any.whl"), art("demo-2.0-cp27-cp27m-win32.whl"), art("demo-1.5.tar.gz"),
             art("demo-3.0.tar.gz", requires_python=">=3.12"))
    choice = newest_matching(p, SpecifierSet(), tags=TAGS, python_version=PY311)
    assert choice.version == Version("1.5") and choice.artifact.filename == "demo-1.5.tar.gz"
    choice = newest_matching(p, SpecifierSet("<1.5"), tags=TAGS, python_version=PY311)
    assert choice.artifact.filename == "demo-1.0-py3-none-any.whl"
    assert newest_matching(p, SpecifierSet(">=4"), tags=TAGS, python_version=PY311) is None
    assert newest_matching(p, SpecifierSet(), tags=TAGS, python_version=PY311, only_binary=True).version == Version("1.0")


def test_newest_matching_takes_prereleases_only_when_asked_or_when_nothing_else_matches():
    p = page(art("demo-1.0.tar.gz"), art("demo-2.0b1.tar.gz"))
    kw = dict(tags=TAGS, python_version=PY311)
    assert newest_matching(p, SpecifierSet(), **kw).version == Version("1.0")
    assert newest_matching(p, SpecifierSet(), prereleases=True, **kw).version == Version("2.0b1")
    assert newest_matching(p, SpecifierSet(">1.0"), **kw).version == Version("2.0b1")


def test_a_yanked_version_is_chosen_only_under_an_exact_pin():
    p = page(art("demo-1.0.tar.gz"), art("demo-1.1.tar.gz", yanked="security issue"))
    kw = dict(tags=TAGS, python_version=PY311)
    assert newest_matching(p, SpecifierSet(), **kw).version == Version("1.0")
    assert newest_matching(p, SpecifierSet("==1.1"), **kw).version == Version("1.1")
    assert newest_matching(p, SpecifierSet("==1.*"), **kw).version == Version("1.0")


def test_newest_matching_defaults_to_the_running_interpreter():
    p = page(art("demo-1.0-py3-none-any.whl"), art("demo-2.0-py2-none-any.whl"))
    assert newest_matching(p).version == Version("1.0")


def test_available_versions_are_newest_first_and_marked_yanked_when_every_file_is():
    p = page(art("demo-1.0.tar.gz"), art("demo-1.1.tar.gz", yanked=""), art("demo-1.1-py3-none-any.whl", yanked="x"),
             art("demo-1.2.tar.gz", yanked=""), art("demo-1.2-py3-none-any.whl"))
    assert [(str(v.version), v.yanked) for v in available_versions(p)] == [("1.2", False), ("1.1", True), ("1.0", False)]
