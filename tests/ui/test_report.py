"""A failed resolution reads as numbered sentences with real version boundaries."""

from __future__ import annotations

import pytest
from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet

from pkm.resolver.pubgrub import NoSolution, OfflineProvider, format_range, resolve
from pkm.ui.report import explain, render_no_solution


def failure(graph: dict, unavailable: tuple = ()) -> NoSolution:
    return failure_and_provider(graph, unavailable)[0]


def failure_and_provider(graph: dict, unavailable: tuple = ()) -> tuple[NoSolution, OfflineProvider]:
    provider = OfflineProvider()
    for key, deps in graph.items():
        name, version = key.split()
        provider.add(name, version, deps)
    for name, version, reason in unavailable:
        provider.add_unavailable(name, version, reason)
    with pytest.raises(NoSolution) as caught:
        resolve(provider, "root", "1.0.0")
    return caught.value, provider


LINEAR = {
    "root 1.0.0": {"foo": ">=1.0.0,<2.0.0", "baz": ">=1.0.0,<2.0.0"},
    "foo 1.0.0": {"bar": ">=2.0.0,<3.0.0"},
    "bar 2.0.0": {"baz": ">=3.0.0,<4.0.0"},
    "baz 1.0.0": {}, "baz 3.0.0": {},
}
BRANCHING = {
    "root 1.0.0": {"foo": ">=1.0.0,<2.0.0"},
    "foo 1.0.0": {"a": ">=1.0.0,<2.0.0", "b": ">=1.0.0,<2.0.0"},
    "foo 1.1.0": {"x": ">=1.0.0,<2.0.0", "y": ">=1.0.0,<2.0.0"},
    "a 1.0.0": {"b": ">=2.0.0,<3.0.0"}, "b 1.0.0": {}, "b 2.0.0": {},
    "x 1.0.0": {"y": ">=2.0.0,<3.0.0"}, "y 1.0.0": {}, "y 2.0.0": {},
}


def test_linear_error_reporting():
    found = failure(LINEAR)
    assert render_no_solution(found) == (
        "Because foo>=1.0.0,<2.0.0 depends on bar>=2.0.0,<3.0.0 and bar>=2.0.0,<3.0.0 depends on "
        "baz>=3.0.0,<4.0.0, foo>=1.0.0,<2.0.0 requires baz>=3.0.0,<4.0.0.\n"
        "And because your project depends on both foo>=1.0.0,<2.0.0 and baz>=1.0.0,<2.0.0, "
        "the requirements are unsatisfiable."
    )


def test_branching_error_reporting_numbers_the_line_it_refers_back_to():
    found, provider = failure_and_provider(BRANCHING)
    # With the known versions, ranges read as the write-up's: "foo<1.1.0", "foo>=1.1.0".
    lines = explain(found.incompatibility, found.root, versions=provider.versions)
    assert lines == [
        "Because every version of a depends on b>=2.0.0,<3.0.0 and foo<1.1.0 depends on a>=1.0.0,<2.0.0, "
        "foo<1.1.0 requires b>=2.0.0.",
        "And because foo<1.1.0 depends on b>=1.0.0,<2.0.0, foo<1.1.0 cannot be used. (1)",
        "",
        "Because every version of x depends on y>=2.0.0,<3.0.0 and foo>=1.1.0 depends on x>=1.0.0,<2.0.0, "
        "foo>=1.1.0 requires y>=2.0.0.",
        "And because foo>=1.1.0 depends on y>=1.0.0,<2.0.0, foo>=1.1.0 cannot be used.",
        "And because foo<1.1.0 cannot be used (1), no version of foo can be used.",
        "And because your project depends on foo>=1.0.0,<2.0.0, the requirements are unsatisfiable.",
    ]


def test_without_known_versions_ranges_keep_their_exact_boundaries():
    found = failure(BRANCHING)
    text = render_no_solution(found)
    assert "foo>=1.0.0,<1.1.0 | >1.1.0,<2.0.0 cannot be used. (1)" in text
    assert "foo==1.1.0 cannot be used." in text
    assert text.count("(1)") == 2  # numbered once, referred to once


def test_linear_error_reporting_with_known_versions():
    found, provider = failure_and_provider(LINEAR)
    assert render_no_solution(found, versions=provider.versions) == (
        "Because every version of foo depends on bar>=2.0.0,<3.0.0 and every version of bar depends on "
        "baz>=3.0.0,<4.0.0, every version of foo requires baz>=3.0.0.\n"
        "And because your project depends on both foo>=1.0.0,<2.0.0 and baz>=1.0.0,<2.0.0, "
        "the requirements are unsatisfiable."
    )


def test_an_unavailable_dependency_is_explained_with_its_quoted_reason():
    found = failure({"root 1.0.0": {"alpha": ">=2.0"}, "alpha 2.0": {"beta": ">=2"}},
                    unavailable=[("beta", "2.0", "requires Python>=3.12")])
    assert render_no_solution(found) == (
        'Because alpha>=2.0 depends on beta>=2 and beta>=2.0 is unavailable ("requires Python>=3.12"), '
        "alpha>=2.0 cannot be used.\n"
        "And because your project depends on alpha>=2.0, the requirements are unsatisfiable."
    )


def test_a_missing_package_and_a_missing_range():
    assert render_no_solution(failure({"root 1.0.0": {"ghost": ""}})) == (
        "Because there is no version of ghost and your project depends on any version of ghost, "
        "the requirements are unsatisfiable."
    )
    assert render_no_solution(failure({"root 1.0.0": {"foo": ">=2"}, "foo 1.0": {}})) == (
        "Because there is no version of foo>=2 and your project depends on foo>=2, the requirements are unsatisfiable."
    )


def test_the_root_is_named_by_the_caller_and_its_version_never_shown():
    found = failure({"root 1.0.0": {"foo": ">=2"}, "foo 1.0": {}})
    text = render_no_solution(found, root_label="myapp")
    assert "myapp depends on foo>=2" in text
    assert "1.0.0" not in text and "root" not in text


def test_a_root_whose_own_dependencies_are_unavailable():
    provider = OfflineProvider()
    provider.add_unavailable("root", "1.0.0", "its pyproject.toml is invalid")
    with pytest.raises(NoSolution) as caught:
        resolve(provider, "root", "1.0.0")
    assert render_no_solution(caught.value) == (
        'Because your project is unavailable ("its pyproject.toml is invalid"), the requirements are unsatisfiable.'
    )


def test_conflicting_requirements_of_two_packages():
    found = failure({"root 1.0.0": {"a": "", "b": ""}, "a 1": {"c": "==1"}, "b 1": {"c": "==2"},
                     "c 1": {}, "c 2": {}})
    text = render_no_solution(found)
    assert "every version of a depends on c==1 and b==1 depends on c==2" in text
    assert text.endswith("your project depends on both any version of a and any version of b, the requirements are unsatisfiable.")


@pytest.mark.parametrize(("text", "expected"), [
    (">=1.0,<2.0", ">=1.0,<2.0"),
    ("<2.0,>=1.0,!=1.5", ">=1.0,!=1.5,<2.0"),
    ("==1.0", "==1.0"),
    ("", "*"),
    (">=2,<1", "<0"),
])
def test_ranges_print_as_specifiers_lower_bound_first(text, expected):
    assert format_range(SpecifierSet(text).to_range()) == expected


def test_a_strict_upper_bound_prints_as_the_boundary_people_write():
    strict = SpecifierSet(">=1").to_range() - SpecifierSet(">=2").to_range()  # keeps 2.0a1
    assert format_range(strict) == ">=1,<2"
    assert format_range(SpecifierSet(">=1").to_range() - VersionRange.singleton("1")) == ">1"


def test_ranges_without_one_specifier_print_interval_by_interval():
    one = VersionRange.singleton("1.0")
    assert format_range(one) == "==1.0"
    assert format_range(one.complement()) == "<1.0 | >1.0"
    assert format_range(SpecifierSet(">=1,<2").to_range() | SpecifierSet(">=3").to_range()) == ">=1,<2 | >=3"


def test_a_chain_of_exact_pins_reads_without_empty_local_version_sets():
    found = failure({"root 1.0.0": {"a": "==1"}, "a 1": {"b": "==1"}, "b 1": {"c": "==2"}, "c 1": {}})
    assert render_no_solution(found, root_label="myapp") == (
        "Because a==1 depends on b==1 and b==1 depends on c==2, a==1 requires c==2.\n"
        "And because there is no version of c==2 and myapp depends on a==1, the requirements are unsatisfiable."
    )


def test_versions_sharing_a_requirement_are_explained_together():
    found = failure({"root 1.0.0": {"foo": ">=1.1"}, "foo 1.0": {}, "foo 1.1": {"bar": ">=2"},
                     "foo 1.2": {"bar": ">=2"}, "foo 2.0": {"bar": ">=2"}, "bar 1.0": {}})
    assert render_no_solution(found) == (
        "Because foo>=1.1 depends on bar>=2 and there is no version of bar>=2, foo>=1.1 cannot be used.\n"
        "And because your project depends on foo>=1.1, the requirements are unsatisfiable."
    )
    found = failure({"root 1.0.0": {"foo": ""}, "foo 1.0": {"bar": ">=2"}, "foo 1.1": {"bar": ">=2"},
                     "bar 1.0": {}})
    assert render_no_solution(found).startswith(
        "Because every version of foo depends on bar>=2 and there is no version of bar>=2, "
        "no version of foo can be used.\n"
    )


def test_a_dependency_on_an_empty_range_is_named_as_such():
    found = failure({"root 1.0.0": {"foo": ""}, "foo 1.0": {"bar": ">=2,<1"}, "bar 1.0": {}})
    assert render_no_solution(found) == (
        "Because every version of foo depends on no versions of bar and your project depends on any version "
        "of foo, the requirements are unsatisfiable."
    )
