"""The import boundaries of DESIGN.md hold, and the checker that enforces them can fail."""

from __future__ import annotations

from pathlib import Path

from checks.imports import Rule, stdlib_violations, violations

REPO = Path(__file__).resolve().parent.parent

# Shared modules: any layer may use them (errors, TOML reading, the version, lazy packages).
SHARED = frozenset({"pkm", "pkm.errors", "pkm._toml", "pkm._used", "pkm._lazy"})
ANY = None
# pkm_runtime locates the scripts that run in other interpreters (hooks/); these layers run them.
WITH_RUNTIME = frozenset({"packaging", "tomli", "tomlkit", "pkm_runtime"})

# DESIGN.md, "Allowed imports". The most specific package wins.
RULES = {
    "pkm": Rule(pkm=frozenset()),  # pkm/__init__.py
    "pkm.errors": Rule(pkm=frozenset()),
    "pkm._toml": Rule(pkm=frozenset()),
    "pkm._used": Rule(pkm=frozenset()),
    "pkm._lazy": Rule(pkm=frozenset()),
    "pkm.__main__": Rule(pkm=frozenset({"pkm.cli"})),
    "pkm.cli": Rule(pkm=ANY, third_party=WITH_RUNTIME),
    "pkm.run": Rule(pkm=ANY, third_party=WITH_RUNTIME),
    "pkm.ui": Rule(pkm=frozenset({"pkm.resolver.pubgrub"})),
    "pkm.http": Rule(pkm=frozenset()),
    "pkm.index": Rule(pkm=frozenset({"pkm.http"})),
    "pkm.lock": Rule(pkm=frozenset({"pkm.http"})),
    "pkm.store": Rule(pkm=frozenset({"pkm.http"})),
    "pkm.resolver.pubgrub": Rule(pkm=frozenset(), shared=False),
    "pkm.resolver": Rule(pkm=frozenset({"pkm.resolver.pubgrub"})),
    "pkm.install": Rule(pkm=frozenset({"pkm.store", "pkm.env"})),
    "pkm.env": Rule(pkm=frozenset(), third_party=WITH_RUNTIME),
    "pkm.backend": Rule(pkm=frozenset(), shared=False, third_party=frozenset({"packaging", "tomli"})),
    "pkm.project": Rule(pkm=frozenset(), third_party=WITH_RUNTIME),
    # pkm.backend: a project asking for pkm's own backend is built in-process by the running pkm.
    "pkm.build": Rule(pkm=frozenset({"pkm.env", "pkm.store", "pkm.http", "pkm.backend"}), third_party=WITH_RUNTIME),
    "pkm.publish": Rule(pkm=frozenset({"pkm.http"})),
}


def test_pkm_respects_the_design_boundaries():
    assert violations(REPO, "pkm", RULES, SHARED) == []


def test_runtime_hooks_and_sitecustomize_use_the_standard_library_only():
    found = stdlib_violations(REPO, "pkm_runtime", allow=frozenset({"pkm_runtime"}))
    found += stdlib_violations(REPO, "hooks") + stdlib_violations(REPO, "sitecustomize", allow=frozenset({"pkm_runtime"}))
    assert found == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_checker_reports_a_forbidden_layer_import(tmp_path):
    root = _tree(tmp_path, {
        "pkm/__init__.py": "",
        "pkm/errors.py": "",
        "pkm/http/__init__.py": "from pkm.errors import X\n",
        "pkm/index/__init__.py": "from pkm import http\nfrom ..store import blobs\n",
        "pkm/store/__init__.py": "",
        "pkm/store/blobs.py": "",
    })
    rules = {"pkm": Rule(pkm=frozenset()), "pkm.errors": Rule(pkm=frozenset()), "pkm.http": Rule(pkm=frozenset()),
             "pkm.index": Rule(pkm=frozenset({"pkm.http"})), "pkm.store": Rule(pkm=frozenset())}
    found = violations(root, "pkm", rules, frozenset({"pkm", "pkm.errors"}))
    assert found == ["pkm/index/__init__.py:2: pkm.index may not import pkm.store.blobs"]


def test_checker_sees_function_level_imports_and_unchosen_dependencies(tmp_path):
    root = _tree(tmp_path, {
        "pkm/__init__.py": "",
        "pkm/resolver/__init__.py": "",
        "pkm/resolver/pubgrub/__init__.py": "def f():\n    import pkm.errors\n    import requests\n",
    })
    rules = {"pkm": Rule(pkm=frozenset()), "pkm.resolver": Rule(pkm=frozenset()),
             "pkm.resolver.pubgrub": Rule(pkm=frozenset(), shared=False)}
    found = violations(root, "pkm", rules, frozenset({"pkm", "pkm.errors"}))
    assert len(found) == 2
    assert "imports nothing of pkm, but imports pkm.errors" in found[0]
    assert "may not import requests (not a chosen dependency)" in found[1]


def test_checker_requires_a_rule_for_every_package(tmp_path):
    root = _tree(tmp_path, {"pkm/__init__.py": "", "pkm/newthing/__init__.py": ""})
    found = violations(root, "pkm", {"pkm": Rule(pkm=ANY)}, frozenset())
    assert found == ["pkm/newthing/__init__.py: pkm.newthing has no rule; add its package to DESIGN.md and the rules table"]


def test_stdlib_checker_flags_third_party_imports(tmp_path):
    root = _tree(tmp_path, {"hooks/runner.py": "import json\nfrom packaging import tags\nimport pkm\n"})
    found = stdlib_violations(root, "hooks")
    assert found == [
        "hooks/runner.py:2: imports packaging (standard library only)",
        "hooks/runner.py:3: imports pkm (standard library only)",
    ]
