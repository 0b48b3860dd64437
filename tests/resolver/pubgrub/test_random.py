"""On generated graphs every answer satisfies every constraint, and failures agree with brute force."""

from __future__ import annotations

import itertools
import random

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pkm.resolver.pubgrub import NoSolution, OfflineProvider, Solver, resolve


def _graph(rng: random.Random, packages: int, versions: int, max_deps: int, root_deps: int = 3) -> dict:
    """{(name, Version): {dep: specifier}}: each version depends on later packages (and some back)."""
    names = [f"p{i}" for i in range(packages)]
    graph: dict = {("root", Version("1")): {}}
    for name in rng.sample(names, k=min(root_deps, packages)):
        low = rng.randint(1, versions)
        graph[("root", Version("1"))][name] = f">={low}"
    for index, name in enumerate(names):
        for v in range(1, versions + 1):
            deps = {}
            for dep in rng.sample(names, k=rng.randint(0, min(max_deps, packages))):
                if dep == name:
                    continue
                low = rng.randint(1, versions)
                high = rng.randint(low, versions + 1)
                deps[dep] = f">={low},<{high}" if rng.random() < 0.7 else f"=={low}"
            graph[(name, Version(str(v)))] = deps
    return graph


def _provider(graph: dict) -> OfflineProvider:
    provider = OfflineProvider()
    for (name, version), deps in graph.items():
        provider.add(name, version, deps)
    return provider


def _check(graph: dict, solution: dict) -> None:
    """Every chosen version exists and every dependency of a chosen version is met."""
    assert solution["root"] == Version("1")
    for name, version in solution.items():
        deps = graph[(name, version)]
        for dep, spec in deps.items():
            assert dep in solution, f"{name} {version} needs {dep}{spec}"
            assert (dep, solution[dep]) in graph, f"{dep} {solution[dep]} does not exist"
            assert SpecifierSet(spec).contains(solution[dep], prereleases=True), (name, version, dep, spec)


def _brute_force_has_solution(graph: dict) -> bool:
    names = sorted({name for name, _ in graph} - {"root"})
    options = {name: [None] + sorted(v for n, v in graph if n == name) for name in names}
    for choice in itertools.product(*(options[n] for n in names)):
        picked = dict(zip(names, choice))
        picked["root"] = Version("1")
        ok = True
        for name, version in picked.items():
            if version is None:
                continue
            for dep, spec in graph[(name, version)].items():
                chosen = picked.get(dep)
                if chosen is None or not SpecifierSet(spec).contains(chosen, prereleases=True):
                    ok = False
                    break
            if not ok:
                break
        if ok:
            return True
    return False


@pytest.mark.parametrize("seed", range(60))
def test_small_graphs_agree_with_brute_force(seed):
    rng = random.Random(seed)
    graph = _graph(rng, packages=4, versions=3, max_deps=2)
    _agree(graph, seed)


@pytest.mark.parametrize("seed", range(12))
def test_denser_graphs_agree_with_brute_force(seed):
    graph = _graph(random.Random(500 + seed), packages=5, versions=4, max_deps=3, root_deps=3)
    _agree(graph, seed)


def _agree(graph: dict, seed: int) -> None:
    try:
        solution = resolve(_provider(graph), "root", "1")
    except NoSolution:
        assert not _brute_force_has_solution(graph), f"seed {seed}: the solver missed a solution"
    else:
        _check(graph, solution)


def test_the_brute_force_cases_cover_both_outcomes():
    outcomes = set()
    for seed in range(60):
        graph = _graph(random.Random(seed), packages=4, versions=3, max_deps=2)
        outcomes.add(_brute_force_has_solution(graph))
    assert outcomes == {True, False}


def test_large_generated_graphs_resolve_to_consistent_answers():
    solved = [_large(seed) for seed in (2, 3, 5, 6)]
    assert any(solved) and not all(solved)  # the generator exercises both outcomes


def _large(seed: int) -> bool:
    rng = random.Random(1000 + seed)
    graph = _graph(rng, packages=30, versions=20, max_deps=4, root_deps=10)
    provider = _provider(graph)
    solver = Solver(provider, "root", "1")
    steps = 0
    try:
        while not solver.step().done:
            steps += 1
            assert steps < 5000, "the solver should not wander"
    except NoSolution as failure:
        assert failure.incompatibility.is_terminal("root", Version("1"))
        return False
    _check(graph, solver.solution())
    return True
