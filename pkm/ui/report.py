"""Sentences from a PubGrub derivation tree: why no set of versions satisfies the requirements."""

from __future__ import annotations

from typing import Callable, Hashable, Iterable, Optional

from packaging.ranges import VersionRange
from packaging.version import Version

from pkm.resolver.pubgrub import (
    DependencyCause,
    DerivedCause,
    Incompatibility,
    NoSolution,
    NoVersionsCause,
    RootCause,
    UnavailableCause,
    any_version,
    coerce_range,
    exactly,
    format_range,
)

__all__ = ["explain", "render_no_solution"]

#: package -> every version known to exist (any order); lets the report write ranges in
#: terms of real releases: "foo<1.1.0" rather than "foo>=1.0.0,<1.1.0 | >1.1.0,<2.0.0".
KnownVersions = Callable[[Hashable], Iterable[Version]]


def render_no_solution(failure: NoSolution, *, root_label: str = "your project",
                       versions: Optional[KnownVersions] = None) -> str:
    """The explanation of `failure` as text, ending in "the requirements are unsatisfiable."

    `root_label` names the root package ("you" for a request: "you require ...", "your project",
    or the project's name); its version
    is never shown. With `versions`, each range is shortened to the simplest one holding the
    same known versions. Lines are joined by newlines; a blank line separates branches; a
    line that later sentences refer back to ends in "(n)".
    """
    lines = explain(failure.incompatibility, failure.root, root_label=root_label, versions=versions)
    return "\n".join(lines)


def explain(incompatibility: Incompatibility, root: Hashable, *, root_label: str = "your project",
            versions: Optional[KnownVersions] = None) -> list[str]:
    """The explanation of an incompatibility as a list of lines (see `render_no_solution`).

    Follows the error reporting of the PubGrub write-up: a depth-first walk from the final
    incompatibility back to external facts; linear chains collapse into "And because ..."
    sentences; an incompatibility used by two or more others gets a line number so later
    sentences can refer back to it. "There is no other version" facts are folded into the
    sentence they widen. Linear in the size of the tree.
    """
    return _Report(root, root_label, versions).build(incompatibility)


class _Report:
    def __init__(self, root: Hashable, root_label: str, versions: Optional[KnownVersions]) -> None:
        self._root = root
        self._label = root_label
        self._versions = versions
        self._known: dict[Hashable, list[Version]] = {}
        self._lines: list[list] = []  # [text, number or None]
        self._numbers: dict[int, int] = {}
        self._uses: dict[int, int] = {}

    def build(self, incompatibility: Incompatibility) -> list[str]:
        if not self._derived_node(incompatibility):
            return [f"Because {self._external(incompatibility)}, {self._conclusion(incompatibility)}."]
        self._count_uses(incompatibility)
        self._visit(incompatibility)
        return [text if number is None else f"{text} ({number})" for text, number in self._lines]

    # -- the shape of the tree ------------------------------------------------------------------

    def _count_uses(self, top: Incompatibility) -> None:
        seen: set[int] = set()
        stack = [top]
        while stack:
            node = stack.pop()
            if id(node) in seen or not node.is_derived:
                continue
            seen.add(id(node))
            first, second = self._causes(node)
            for cause in (first, second):
                self._uses[id(cause)] = self._uses.get(id(cause), 0) + 1
                stack.append(cause)

    def _causes(self, incompatibility: Incompatibility) -> tuple[Incompatibility, Incompatibility]:
        """The two causes worth explaining, looking through "no other version" steps.

        `{p R}` learned from "there is no version of p in R minus S" and an incompatibility
        about p in S says what the latter says, over R: explain the latter's causes instead.
        """
        node = incompatibility
        while True:
            cause = node.cause
            assert isinstance(cause, DerivedCause)
            inner = self._widened(node)
            if inner is None or not inner.is_derived or self._merged_fact(inner) is not None:
                return cause.first, cause.second
            node = inner

    def _widened(self, incompatibility: Incompatibility) -> Incompatibility | None:
        """For a node derived from "there is no version of p in S" and X speaking of p: X.

        The node says what X says with p's range stretched over (or trimmed of) versions that
        do not exist, so the report explains X in the node's words and drops the empty set.
        """
        cause = incompatibility.cause
        if not isinstance(cause, DerivedCause):
            return None
        for missing, other in ((cause.first, cause.second), (cause.second, cause.first)):
            package = getattr(missing.cause, "package", None)
            if (isinstance(missing.cause, NoVersionsCause) and other.term(package) is not None
                    and incompatibility.term(package) is not None):
                return other
        return None

    def _merged_fact(self, incompatibility: Incompatibility) -> Incompatibility | None:
        """The external fact a node only widens ("no other versions" + a fact on that package)."""
        inner = self._widened(incompatibility)
        if inner is None:
            return None
        if not inner.is_derived:
            return inner if isinstance(inner.cause, (DependencyCause, UnavailableCause)) else None
        return self._merged_fact(inner)

    def _derived_node(self, incompatibility: Incompatibility) -> bool:
        """Derived and worth its own sentence (not an external fact widened by "no versions")."""
        return incompatibility.is_derived and self._merged_fact(incompatibility) is None

    def _is_simple(self, incompatibility: Incompatibility) -> bool:
        if not self._derived_node(incompatibility):
            return False
        first, second = self._causes(incompatibility)
        return not self._derived_node(first) and not self._derived_node(second)

    # -- the walk -------------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        self._lines.append([text, None])

    def _number_last(self, incompatibility: Incompatibility) -> int:
        last = self._lines[-1]
        if last[1] is None:
            last[1] = 1 + sum(1 for _, number in self._lines if number is not None)
        self._numbers[id(incompatibility)] = last[1]
        return last[1]

    def _visit(self, incompatibility: Incompatibility) -> None:
        first, second = self._causes(incompatibility)
        conclusion = self._conclusion(incompatibility)
        first_derived, second_derived = self._derived_node(first), self._derived_node(second)
        if first_derived and second_derived:
            self._visit_two_derived(first, second, conclusion)
        elif first_derived or second_derived:
            derived, external = (first, second) if first_derived else (second, first)
            self._visit_one_derived(derived, external, conclusion)
        else:
            self._write(f"Because {self._pair(first, second)}, {conclusion}.")
        if self._uses.get(id(incompatibility), 0) >= 2:
            self._number_last(incompatibility)

    def _visit_two_derived(self, first: Incompatibility, second: Incompatibility, conclusion: str) -> None:
        first_line, second_line = self._numbers.get(id(first)), self._numbers.get(id(second))
        if first_line is not None and second_line is not None:
            self._write(
                f"Because {self._conclusion(first)} ({first_line}) and {self._conclusion(second)} ({second_line}), "
                f"{conclusion}."
            )
        elif first_line is not None or second_line is not None:
            numbered, other = (first, second) if first_line is not None else (second, first)
            self._visit(other)
            self._write(f"And because {self._conclusion(numbered)} ({self._numbers[id(numbered)]}), {conclusion}.")
        elif self._is_simple(first) or self._is_simple(second):
            simple, complex_ = (first, second) if self._is_simple(first) else (second, first)
            self._visit(complex_)
            self._visit(simple)
            self._write(f"Thus, {conclusion}.")
        else:
            self._visit(first)
            line = self._numbers.get(id(first)) or self._number_last(first)
            self._lines.append(["", None])
            self._visit(second)
            self._write(f"And because {self._conclusion(first)} ({line}), {conclusion}.")

    def _visit_one_derived(self, derived: Incompatibility, external: Incompatibility, conclusion: str) -> None:
        line = self._numbers.get(id(derived))
        if line is not None:
            self._write(f"Because {self._external(external)} and {self._conclusion(derived)} ({line}), {conclusion}.")
            return
        inner_first, inner_second = self._causes(derived)
        first_derived, second_derived = self._derived_node(inner_first), self._derived_node(inner_second)
        if first_derived != second_derived and self._uses.get(id(derived), 0) < 2:
            prior, prior_external = (inner_first, inner_second) if first_derived else (inner_second, inner_first)
            if id(prior) not in self._numbers:
                self._visit(prior)
                self._write(f"And because {self._pair(prior_external, external)}, {conclusion}.")
                return
        self._visit(derived)
        self._write(f"And because {self._external(external)}, {conclusion}.")

    # -- wording --------------------------------------------------------------------------------

    def _range(self, package: Hashable, range: VersionRange) -> VersionRange:
        """The simplest range holding the same known versions (unchanged without `versions`)."""
        if self._versions is None or package == self._root:
            return range
        known = self._known.get(package)
        if known is None:
            known = self._known[package] = sorted(set(self._versions(package)))
        inside = [version in range for version in known]
        if not any(inside):
            return range  # "no version of foo>=2": keep the boundary the user asked for
        result = None
        index = 0
        while index < len(known):
            if not inside[index]:
                index += 1
                continue
            end = index
            while end + 1 < len(known) and inside[end + 1]:
                end += 1
            parts = []
            if index > 0:
                parts.append(f">={known[index]}")
            if end + 1 < len(known):
                parts.append(f"<{known[end + 1]}")
            run = coerce_range(",".join(parts))
            if index == end and 0 < index and end + 1 < len(known):
                run = exactly(known[index])  # a lone version between two others: "==V"
            result = run if result is None else result | run
            index = end + 1
        assert result is not None
        return result

    def _subject(self, package: Hashable, range: VersionRange) -> str:
        """A package and versions as a sentence's subject: "foo>=1.0", "every version of foo"."""
        if package == self._root:
            return self._label
        range = self._range(package, range)
        if range.is_superset(any_version()):
            return f"every version of {package}"
        return self._spelled(package, range)

    def _verb(self, singular: str, plural: str) -> str:
        """The root's verb: "you require", "your project requires"."""
        return plural if self._label == "you" else singular

    def _depends(self, package: Hashable, range: VersionRange) -> str:
        """ "foo>=1 depends on", or for the root: "you require" / "your project depends on"."""
        if package == self._root:
            return f"{self._label} {self._verb('depends on', 'require')}"
        return f"{self._subject(package, range)} depends on"

    def _object(self, package: Hashable, range: VersionRange, *, declared: bool = False) -> str:
        """A package and versions as an object; a `declared` requirement keeps its own spelling."""
        if package == self._root:
            return self._label
        if not declared:
            range = self._range(package, range)
        if range.is_superset(any_version()):
            return f"any version of {package}"
        return self._spelled(package, range)

    @staticmethod
    def _spelled(package: Hashable, range: VersionRange) -> str:
        if range.is_empty:
            return f"no versions of {package}"
        return f"{package}{format_range(range)}"

    def _pair(self, first: Incompatibility, second: Incompatibility) -> str:
        """Two facts joined by "and"; two dependencies of one package become "depends on both"."""
        a, b = first.cause, second.cause
        if (isinstance(a, DependencyCause) and isinstance(b, DependencyCause) and a.package == b.package
                and self._same(a.range, b.range)):
            return (
                f"{self._depends(a.package, a.range)} both "
                f"{self._object(a.dependency, a.dependency_range, declared=True)} and "
                f"{self._object(b.dependency, b.dependency_range, declared=True)}"
            )
        return f"{self._external(first)} and {self._external(second)}"

    @staticmethod
    def _same(left: VersionRange, right: VersionRange) -> bool:
        return left.is_subset(right) and right.is_subset(left)

    def _external(self, incompatibility: Incompatibility) -> str:
        fact = self._merged_fact(incompatibility)
        if fact is not None:
            # Speak of the ranges the widened incompatibility covers.
            package = fact.cause.package
            term = incompatibility.term(package)
            range = term.range if term is not None and term.positive else fact.cause.range
            if isinstance(fact.cause, DependencyCause):
                dependency = fact.cause.dependency
                needed = incompatibility.term(dependency)
                wanted = needed.range if needed is not None and not needed.positive else fact.cause.dependency_range
                return f"{self._depends(package, range)} {self._object(dependency, wanted, declared=True)}"
            return f'{self._subject(package, range)} is unavailable ("{fact.cause.reason}")'
        cause = incompatibility.cause
        if isinstance(cause, DependencyCause):
            dependency = self._object(cause.dependency, cause.dependency_range, declared=True)
            return f"{self._depends(cause.package, cause.range)} {dependency}"
        if isinstance(cause, UnavailableCause):
            return f'{self._subject(cause.package, cause.range)} is unavailable ("{cause.reason}")'
        if isinstance(cause, NoVersionsCause):
            if cause.range.is_superset(any_version()):
                return f"there is no version of {cause.package}"
            return f"there is no version of {self._spelled(cause.package, cause.range)}"
        if isinstance(cause, RootCause):
            return f"{self._label} is the project being resolved"
        return self._conclusion(incompatibility)  # pragma: no cover - every external cause is above

    def _conclusion(self, incompatibility: Incompatibility) -> str:
        """What an incompatibility says, as the end of a sentence."""
        terms = [t for t in incompatibility.terms if not (t.package == self._root and t.positive)]
        has_root = len(terms) < len(incompatibility)
        positive = [t for t in terms if t.positive]
        negative = [t for t in terms if not t.positive]
        if not terms:
            return "the requirements are unsatisfiable"
        if len(terms) == 1:
            term = terms[0]
            if term.positive:
                subject = self._subject(term.package, term.range)
                if subject.startswith("every version of "):
                    return f"no version of {term.package} can be used"
                return f"{subject} cannot be used"
            if has_root:
                return f"{self._label} {self._verb('requires', 'require')} {self._object(term.package, term.range)}"
            return f"{self._object(term.package, term.range)} is required"
        if positive and negative:
            subjects = " and ".join(self._subject(t.package, t.range) for t in positive)
            objects = " or ".join(self._object(t.package, t.range) for t in negative)
            verb = "requires" if len(positive) == 1 else "together require"
            return f"{subjects} {verb} {objects}"
        if positive:
            if len(positive) == 2:
                a, b = positive
                return f"{self._subject(a.package, a.range)} is incompatible with {self._object(b.package, b.range)}"
            return " and ".join(self._subject(t.package, t.range) for t in positive) + " are incompatible"
        return "one of " + " or ".join(self._object(t.package, t.range) for t in negative) + " is required"
