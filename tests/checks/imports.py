"""An AST walk that checks who imports whom against a rules table (DESIGN.md's boundaries)."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

__all__ = ["Import", "Rule", "module_imports", "iter_modules", "violations", "stdlib_violations"]

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted name of the importing module
    target: str  # dotted name imported (a module when resolvable)
    path: Path
    line: int


@dataclass(frozen=True)
class Rule:
    """What the modules under a package may import.

    `pkm` lists pkm packages allowed besides the package itself (None: any);
    `shared` says whether the shared value modules are allowed; `third_party`
    lists allowed distributions' top-level names.
    """

    pkm: frozenset[str] | None
    shared: bool = True
    third_party: frozenset[str] = frozenset({"packaging", "tomli", "tomlkit"})


def iter_modules(root: Path, package: str) -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every .py file under `root/package`, or of `root/package.py`."""
    base = root / package
    if base.with_suffix(".py").is_file():
        yield package, base.with_suffix(".py")
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _is_module(root: Path, dotted: str) -> bool:
    p = root.joinpath(*dotted.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def module_imports(root: Path, name: str, path: Path) -> Iterator[Import]:
    """Every import in the module, relative ones made absolute, function-level ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield Import(name, full if _is_module(root, full) else base, path, node.lineno)


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _rule_for(name: str, top: str, rules: Mapping[str, Rule]) -> tuple[str, Rule] | None:
    # The rule for `top` itself covers only its own module, so a new subpackage needs a rule of its own.
    matches = [p for p in rules if (name == p if p == top else _within(name, p))]
    if not matches:
        return None
    best = max(matches, key=len)
    return best, rules[best]


def violations(root: Path, top: str, rules: Mapping[str, Rule], shared: frozenset[str]) -> list[str]:
    """Readable violations of `rules` by the modules of package `top` under `root`."""
    found = []
    for name, path in iter_modules(root, top):
        owner = _rule_for(name, top, rules)
        where = f"{path.relative_to(root)}"
        if owner is None:
            found.append(f"{where}: {name} has no rule; add its package to DESIGN.md and the rules table")
            continue
        package, rule = owner
        for imp in module_imports(root, name, path):
            head = imp.target.split(".")[0]
            if head in STDLIB:
                continue
            if head != top:
                if head not in rule.third_party:
                    found.append(f"{where}:{imp.line}: {package} may not import {imp.target} (not a chosen dependency)")
                continue
            if _within(imp.target, package):
                continue
            if imp.target in shared:
                if not rule.shared:
                    found.append(f"{where}:{imp.line}: {package} imports nothing of {top}, but imports {imp.target}")
                continue
            if rule.pkm is None or any(_within(imp.target, allowed) for allowed in rule.pkm):
                continue
            found.append(f"{where}:{imp.line}: {package} may not import {imp.target}")
    return found


def stdlib_violations(root: Path, folder: str, *, allow: frozenset[str] = frozenset()) -> list[str]:
    """Imports of anything but the standard library (and `allow`) in the .py files of `folder`."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        for imp in module_imports(root, name, path):
            head = imp.target.split(".")[0]
            if head not in STDLIB and head not in allow:
                found.append(f"{path.relative_to(root)}:{imp.line}: imports {imp.target} (standard library only)")
    return found
