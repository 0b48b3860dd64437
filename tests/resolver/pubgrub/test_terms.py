"""Terms and incompatibilities follow PubGrub's set rules over `VersionRange`."""

from __future__ import annotations

from packaging.version import Version

from pkm.resolver.pubgrub import Incompatibility, Term, any_version, coerce_range, exactly, no_version


def pos(spec: str) -> Term:
    return Term("foo", coerce_range(spec))


def neg(spec: str) -> Term:
    return Term("foo", coerce_range(spec), positive=False)


def test_a_positive_term_satisfies_a_wider_one_and_a_negative_one_it_avoids():
    assert pos(">=1,<2").satisfies(pos(">=1"))
    assert not pos(">=1").satisfies(pos(">=1,<2"))
    assert pos("<1").satisfies(neg(">=1"))
    assert not pos("<2").satisfies(neg(">=1"))


def test_a_negative_term_never_satisfies_a_positive_one_since_the_package_may_be_absent():
    assert not neg("<1").satisfies(pos(">=1"))
    assert neg("<2").satisfies(neg("<1"))
    assert not neg("<1").satisfies(neg("<2"))


def test_disjointness_and_intersection():
    assert pos("<1").is_disjoint(pos(">=1"))
    assert pos(">=1,<2").is_disjoint(neg(">=1"))
    assert not neg("<1").is_disjoint(neg(">=1"))  # both allow "not selected"
    narrowed = pos(">=1").intersect(neg(">=2"))
    assert narrowed.positive and Version("1.5") in narrowed.range and Version("2.0") not in narrowed.range
    assert neg("<1").intersect(neg(">=2")).range == coerce_range("<1").union(coerce_range(">=2"))


def test_union_of_a_term_and_its_negation_says_nothing():
    assert pos(">=1").union(neg(">=1")).is_any()
    assert Term("foo", no_version()).is_empty()
    assert not Term("foo", any_version()).is_empty()


def test_contains_reads_the_sign():
    assert pos(">=1").contains(Version("1.5"))
    assert neg(">=1").contains(Version("0.5"))
    assert not neg(">=1").contains(Version("1.5"))


def test_an_incompatibility_merges_terms_on_one_package():
    merged = Incompatibility([pos(">=1"), pos("<2"), Term("bar", any_version(), False)],
                             cause=None)  # type: ignore[arg-type]
    assert merged.term("foo") == pos(">=1,<2")
    assert len(merged) == 2


def test_a_self_dependency_only_rules_out_versions_outside_its_own_range():
    inside = Incompatibility.dependency("foo", exactly(Version("1.0")), "foo", coerce_range(">=1"))
    assert inside.term("foo").is_empty()  # never satisfied: harmless
    outside = Incompatibility.dependency("foo", exactly(Version("2.0")), "foo", coerce_range("<2"))
    assert outside.term("foo") == Term("foo", exactly(Version("2.0")))


def test_terminal_incompatibilities():
    root = Version("1.0")
    assert Incompatibility([], cause=None).is_terminal("root", root)  # type: ignore[arg-type]
    assert Incompatibility([Term("root", exactly(root))], cause=None).is_terminal("root", root)  # type: ignore[arg-type]
    assert not Incompatibility.root("root", root).is_terminal("root", root)
    assert not Incompatibility([pos(">=1")], cause=None).is_terminal("root", root)  # type: ignore[arg-type]
