"""The PubGrub solver finds the write-up's solutions, learns from conflicts, and reports failures."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pkm.resolver.pubgrub import (
    DependencyCause,
    NoSolution,
    NoVersionsCause,
    OfflineProvider,
    Solver,
    UnavailableCause,
    coerce_range,
    resolve,
)


def provider(graph: dict) -> OfflineProvider:
    """{"name version": {dep: specifier}} -> an OfflineProvider."""
    result = OfflineProvider()
    for key, deps in graph.items():
        name, version = key.split()
        result.add(name, version, deps)
    return result


def run(graph: OfflineProvider) -> Solver:
    solver = Solver(graph, "root", "1.0.0")
    while not solver.step().done:
        pass
    return solver


def pins(solution: dict) -> dict[str, str]:
    return {name: str(version) for name, version in solution.items()}


def test_no_conflicts():
    graph = provider({
        "root 1.0.0": {"foo": ">=1.0.0,<2.0.0"},
        "foo 1.0.0": {"bar": ">=1.0.0,<2.0.0"},
        "bar 1.0.0": {}, "bar 2.0.0": {},
    })
    assert pins(resolve(graph, "root", "1.0.0")) == {"root": "1.0.0", "foo": "1.0.0", "bar": "1.0.0"}


def test_avoiding_conflict_during_decision_making():
    graph = provider({
        "root 1.0.0": {"foo": ">=1.0.0,<2.0.0", "bar": ">=1.0.0,<2.0.0"},
        "foo 1.1.0": {"bar": ">=2.0.0,<3.0.0"}, "foo 1.0.0": {},
        "bar 1.0.0": {}, "bar 1.1.0": {}, "bar 2.0.0": {},
    })
    assert pins(resolve(graph, "root", "1.0.0")) == {"root": "1.0.0", "foo": "1.0.0", "bar": "1.1.0"}


def test_performing_conflict_resolution():
    graph = provider({
        "root 1.0.0": {"foo": ">=1.0.0"},
        "foo 2.0.0": {"bar": ">=1.0.0,<2.0.0"}, "foo 1.0.0": {},
        "bar 1.0.0": {"foo": ">=1.0.0,<2.0.0"},
    })
    solver = run(graph)
    assert pins(solver.solution()) == {"root": "1.0.0", "foo": "1.0.0"}
    # The write-up learns exactly one thing: foo 2.0.0 can never be chosen.
    assert [repr(i) for i in solver.learned()] == ["{foo ==2.0.0}"]


def test_conflict_resolution_with_a_partial_satisfier():
    graph = provider({
        "root 1.0.0": {"foo": ">=1.0.0,<2.0.0", "target": ">=2.0.0,<3.0.0"},
        "foo 1.1.0": {"left": ">=1.0.0,<2.0.0", "right": ">=1.0.0,<2.0.0"}, "foo 1.0.0": {},
        "left 1.0.0": {"shared": ">=1.0.0"}, "right 1.0.0": {"shared": "<2.0.0"},
        "shared 2.0.0": {}, "shared 1.0.0": {"target": ">=1.0.0,<2.0.0"},
        "target 2.0.0": {}, "target 1.0.0": {},
    })
    solver = run(graph)
    assert pins(solver.solution()) == {"root": "1.0.0", "foo": "1.0.0", "target": "2.0.0"}
    # As in the write-up, it ends by learning that foo 1.1.0 needs target 1.x through left and right.
    assert repr(solver.learned()[-1]) == "{not target >=1.0.0,<2.0.0, foo ==1.1.0}"
    assert solver.conflicts("shared") > 0


def test_linear_failure_derives_the_root_incompatibility_from_the_three_dependencies():
    graph = provider({
        "root 1.0.0": {"foo": ">=1.0.0,<2.0.0", "baz": ">=1.0.0,<2.0.0"},
        "foo 1.0.0": {"bar": ">=2.0.0,<3.0.0"},
        "bar 2.0.0": {"baz": ">=3.0.0,<4.0.0"},
        "baz 1.0.0": {}, "baz 3.0.0": {},
    })
    with pytest.raises(NoSolution) as caught:
        resolve(graph, "root", "1.0.0")
    failure = caught.value
    assert failure.root == "root" and failure.root_version == Version("1.0.0")
    assert [repr(t) for t in failure.incompatibility.terms] == ["root ==1.0.0"]
    facts = {
        (c.cause.package, c.cause.dependency)
        for c in failure.incompatibility.external_causes()
        if isinstance(c.cause, DependencyCause)
    }
    assert facts == {("root", "foo"), ("root", "baz"), ("foo", "bar"), ("bar", "baz")}


def test_a_missing_package_fails_with_a_no_versions_fact():
    graph = provider({"root 1.0.0": {"ghost": ">=1"}})
    with pytest.raises(NoSolution) as caught:
        resolve(graph, "root", "1.0.0")
    kinds = [type(c.cause) for c in caught.value.incompatibility.external_causes()]
    assert NoVersionsCause in kinds


def test_an_unavailable_version_is_skipped_for_an_older_one():
    graph = provider({"root 1.0.0": {"foo": ">=1"}, "foo 1.0": {}})
    graph.add_unavailable("foo", "2.0", "its metadata could not be read")
    assert pins(resolve(graph, "root", "1.0.0"))["foo"] == "1.0"


def test_only_unavailable_versions_fail_with_the_reason():
    graph = provider({"root 1.0.0": {"foo": ">=1"}})
    graph.add_unavailable("foo", "2.0", "it requires Python>=3.12")
    with pytest.raises(NoSolution) as caught:
        resolve(graph, "root", "1.0.0")
    reasons = [c.cause.reason for c in caught.value.incompatibility.external_causes()
               if isinstance(c.cause, UnavailableCause)]
    assert reasons == ["it requires Python>=3.12"]


def test_a_root_without_dependencies_resolves_to_itself():
    assert pins(resolve(provider({"root 1.0": {}}), "root", "1.0")) == {"root": "1.0"}


def test_the_root_need_not_be_known_to_the_provider_only_its_dependencies():
    graph = provider({"foo 1.0": {}})
    with pytest.raises(NoSolution):  # the provider has no dependencies for the root: unavailable
        resolve(graph, "root", "1.0")


def test_diamond_picks_the_versions_both_sides_accept():
    graph = provider({
        "root 1.0": {"left": "", "right": ""},
        "left 1.0": {"shared": ">=1,<3"}, "right 1.0": {"shared": ">=2"},
        "shared 1.0": {}, "shared 2.0": {}, "shared 3.0": {},
    })
    assert pins(resolve(graph, "root", "1.0")) == {"root": "1.0", "left": "1.0", "right": "1.0", "shared": "2.0"}


def test_diamond_backtracks_off_the_newest_side():
    graph = provider({
        "root 1.0": {"a": "", "b": ""},
        "a 2.0": {"c": "==2"}, "a 1.0": {"c": "==1"},
        "b 2.0": {"c": "==1"}, "b 1.0": {"c": "==2"},
        "c 1": {}, "c 2": {},
    })
    solution = pins(resolve(graph, "root", "1.0"))
    assert (solution["a"], solution["b"]) in {("2.0", "1.0"), ("1.0", "2.0")}


def test_cycles_resolve():
    graph = provider({"root 1.0": {"a": ">=1"}, "a 1.0": {"b": ">=1"}, "b 1.0": {"a": ">=1"}})
    assert pins(resolve(graph, "root", "1.0")) == {"root": "1.0", "a": "1.0", "b": "1.0"}


def test_a_cycle_through_the_root_is_satisfied_by_the_root_version():
    graph = provider({"root 1.0": {"a": ""}, "a 1.0": {"root": ">=1"}})
    assert pins(resolve(graph, "root", "1.0")) == {"root": "1.0", "a": "1.0"}
    graph = provider({"root 1.0": {"a": ""}, "a 1.0": {"root": ">=2"}})
    with pytest.raises(NoSolution):
        resolve(graph, "root", "1.0")


def test_a_package_depending_on_another_version_of_itself_is_excluded():
    graph = provider({"root 1.0": {"a": ""}, "a 2.0": {"a": "<2"}, "a 1.0": {"a": "==1.0"}})
    assert pins(resolve(graph, "root", "1.0"))["a"] == "1.0"


def test_ranges_are_plain_sets_prereleases_included_when_offered():
    graph = provider({"root 1.0": {"a": ">=1.0"}, "a 1.0": {}, "a 2.0b1": {}})
    assert pins(resolve(graph, "root", "1.0"))["a"] == "2.0b1"  # the provider offered it
    graph = provider({"root 1.0": {"a": "<2.0"}, "a 1.0": {}, "a 2.0b1": {}})
    assert pins(resolve(graph, "root", "1.0"))["a"] == "1.0"  # PEP 440: `<2.0` excludes 2.0b1


def test_get_dependencies_is_asked_once_per_version_even_across_backtracking():
    graph = provider({
        "root 1.0": {"a": "", "b": ""},
        "a 3.0": {"c": "==3"}, "a 2.0": {"c": "==2"}, "a 1.0": {"c": "==1"},
        "b 3.0": {"c": "==1"}, "b 2.0": {"c": "==1"}, "b 1.0": {"c": "==1"},
        "c 1": {}, "c 2": {}, "c 3": {},
    })
    asked = []
    original = graph.get_dependencies
    graph.get_dependencies = lambda p, v: asked.append((p, v)) or original(p, v)
    resolve(graph, "root", "1.0")
    assert len(asked) == len(set(asked))


def test_step_reports_each_decision_and_what_is_pending_next():
    graph = provider({"root 1.0": {"a": ">=1", "b": ">=1"}, "a 1.0": {"c": ">=1"}, "a 2.0": {"c": ">=1"},
                      "b 1.0": {}, "c 1.0": {}})
    solver = Solver(graph, "root", "1.0")
    assert [package for package, _ in solver.pending()] == ["root"]  # before any step
    first = solver.step()
    assert (first.package, first.version, first.done) == ("root", Version("1.0"), False)
    # b has one candidate, a has two: the most constrained package comes first.
    assert [package for package, _ in first.pending] == ["b", "a"]
    assert first.pending[1][1] == coerce_range(">=1")
    decided = [first.package]
    while True:
        progress = solver.step()
        decided.append(progress.package)
        if progress.done:
            assert progress.pending == ()
            break
        if progress.package == "a":
            assert [p for p, _ in progress.pending] == ["c"]  # a's dependency shows up at once
    assert decided == ["root", "b", "a", "c"]
    assert pins(solver.solution()) == {"root": "1.0", "a": "2.0", "b": "1.0", "c": "1.0"}
    assert solver.step().done  # stays done


def test_solution_before_done_is_a_usage_error_and_a_failed_solver_keeps_failing():
    graph = provider({"root 1.0": {"ghost": ""}})
    solver = Solver(graph, "root", "1.0")
    with pytest.raises(RuntimeError):
        solver.solution()
    with pytest.raises(NoSolution) as first:
        while not solver.step().done:
            pass
    with pytest.raises(NoSolution) as again:
        solver.step()
    assert again.value is first.value


def test_a_provider_choosing_outside_the_range_is_a_bug_reported_loudly():
    class Liar(OfflineProvider):
        def choose_version(self, package, range):
            return Version("99")

    graph = Liar()
    graph.add("root", "1.0", {"a": "<2"})
    with pytest.raises(ValueError, match="outside the asked range"):
        resolve(graph, "root", "1.0")


def test_packages_can_be_any_hashable_name():
    graph = OfflineProvider()
    graph.add(("root",), "1", {("lib", "extra"): ">=1"})
    graph.add(("lib", "extra"), "1.5")
    assert resolve(graph, ("root",), "1") == {("root",): Version("1"), ("lib", "extra"): Version("1.5")}


def test_coerce_range_accepts_text_and_specifier_sets_and_refuses_a_prerelease_policy():
    assert coerce_range(">=1,<2") == coerce_range(SpecifierSet(">=1,<2"))
    assert Version("1.5") in coerce_range(SpecifierSet(">=1,<2").to_range())
    with pytest.raises(ValueError, match="pre-release policy"):
        coerce_range(SpecifierSet(">=1", prereleases=True).to_range())
    with pytest.raises(TypeError):
        coerce_range(3)  # type: ignore[arg-type]


def test_learning_keeps_a_backtracking_trap_linear():
    # b (one version) pins y<2 early; each of a's 50 versions needs its own x, and every x needs
    # y>=2. Without learning this explores a x x; with it, one conflict per version of a.
    graph = OfflineProvider()
    graph.add("root", "1", {"a": "", "b": ""})
    graph.add("a", "0")
    for v in range(1, 51):
        graph.add("a", str(v), {"x": f"=={v}"})
        graph.add("x", str(v), {"y": ">=2"})
    graph.add("y", "1")
    graph.add("y", "2")
    graph.add("b", "1", {"y": "<2"})
    solver = Solver(graph, "root", "1")
    steps = 0
    while not solver.step().done:
        steps += 1
    assert pins(solver.solution()) == {"root": "1", "a": "0", "b": "1", "y": "1"}
    assert steps < 300
    assert graph.calls["get_dependencies"] <= 2 * 50 + 4
