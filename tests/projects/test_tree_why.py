"""pkm tree / pkm why: the lock records each package's dependencies, and both commands read them back."""

from __future__ import annotations

import json
import re
import sys

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = ('[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["web[fast]", "lib"]\n'
             '[project.optional-dependencies]\nplot = ["chart"]\n'
             '[dependency-groups]\ndev = ["testtool"]\n')


@pytest.fixture
def graph_project(pkm, publish):
    publish("web", "2.0", dependencies=["lib", "helper"], extras={"fast": ["speedup"]})
    publish("lib", "1.4", dependencies=["helper"])
    publish("helper", "2.0")
    publish("speedup", "0.3", dependencies=["helper"])
    publish("chart", "1.1", dependencies=["lib"])
    publish("testtool", "3.0", dependencies=["helper", "lib"])
    (pkm.work / "pyproject.toml").write_text(PYPROJECT)
    return pkm


def test_the_lock_records_dependencies_with_extras_in_order(graph_project):
    code, _, err = graph_project("lock")
    assert code == 0, err
    lock = tomllib.loads((graph_project.work / "pylock.toml").read_text())
    deps = {p["name"]: p["dependencies"] for p in lock["packages"]}
    assert deps == {"chart": [{"name": "lib"}], "helper": [], "lib": [{"name": "helper"}],
                    "speedup": [{"name": "helper"}], "testtool": [{"name": "helper"}, {"name": "lib"}],
                    "web": [{"name": "helper"}, {"name": "lib"}, {"name": "speedup"}]}


def test_tree_shows_roots_by_role_and_marks_repeats(graph_project):
    code, out, err = graph_project("tree")
    assert code == 0, err
    assert out == """\
demo v0.1.0
├── lib v1.4
│   └── helper v2.0
├── web v2.0
│   ├── helper v2.0
│   ├── lib v1.4 (*)
│   └── speedup v0.3
│       └── helper v2.0
├── chart v1.1 (extra: plot)
│   └── lib v1.4 (*)
└── testtool v3.0 (group: dev)
    ├── helper v2.0
    └── lib v1.4 (*)

(*) shown in full above
"""
    assert "Locked" in err  # no lock yet: tree made one
    code, out, _ = graph_project("tree", "--depth", "1")
    assert out.splitlines() == ["demo v0.1.0", "├── lib v1.4", "├── web v2.0", "├── chart v1.1 (extra: plot)",
                                "└── testtool v3.0 (group: dev)"]
    code, out, _ = graph_project("tree", "--format", "json")
    data = json.loads(out)
    assert data["packages"]["web"] == {"version": "2.0", "dependencies": ["helper", "lib", "speedup"]}
    assert {"name": "testtool", "role": "group: dev"} in data["roots"]


def test_tree_invert_walks_up_to_the_project(graph_project):
    code, out, err = graph_project("tree", "--invert", "Speedup")
    assert code == 0, err
    assert out == "speedup v0.3\n└── web v2.0\n    └── demo v0.1.0\n"
    code, out, _ = graph_project("tree", "--invert", "lib", "--depth", "1")
    assert out.splitlines() == ["lib v1.4", "├── chart v1.1", "├── testtool v3.0", "├── web v2.0", "└── demo v0.1.0"]
    code, out, _ = graph_project("tree", "--invert", "lib")
    assert out.splitlines()[:3] == ["lib v1.4", "├── chart v1.1", "│   └── demo v0.1.0 (extra: plot)"]


def test_why_lists_every_chain(graph_project):
    code, out, err = graph_project("why", "speedup")
    assert (code, out) == (0, "demo v0.1.0 -> web v2.0 -> speedup v0.3\n"), err
    code, out, _ = graph_project("why", "lib")
    assert out.splitlines() == ["demo v0.1.0 -> lib v1.4", "demo v0.1.0 -> web v2.0 -> lib v1.4",
                                "demo v0.1.0 (extra: plot) -> chart v1.1 -> lib v1.4",
                                "demo v0.1.0 (group: dev) -> testtool v3.0 -> lib v1.4"]
    code, out, _ = graph_project("why", "helper", "--format", "json")
    data = json.loads(out)
    assert len(data["paths"]) == 7 and data["paths"][0] == [{"name": "lib", "version": "1.4"},
                                                            {"name": "helper", "version": "2.0"}]


def test_unknown_packages_and_frozen_without_a_lock(graph_project):
    code, out, err = graph_project("why", "lbi", "--frozen")
    assert (code, out) == (1, "") and "pylock.toml is missing" in err
    code, out, err = graph_project("why", "lbi")
    assert (code, out) == (1, "") and "lbi is not in the project's lock" in err and "did you mean lib?" in err
    code, out, err = graph_project("tree", "--invert", "nothing-like-it")
    assert code == 1 and "nothing-like-it is not in the project's lock" in err
    code, _, err = graph_project("tree", "--depth", "-1")
    assert code == 2 and "--depth must be 0 or more" in err


def test_an_old_lock_without_dependencies_is_relocked_and_cycles_end(graph_project, publish):
    publish("ping", "1.0", dependencies=["pong"])
    publish("pong", "1.0", dependencies=["ping"])
    pyproject = graph_project.work / "pyproject.toml"
    pyproject.write_text('[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["ping"]\n')
    assert graph_project("lock")[0] == 0
    lock = graph_project.work / "pylock.toml"
    lock.write_text(re.sub(r"dependencies = \[\n(    \{[^\n]*\n)*\]\n", "", lock.read_text()))
    assert "dependencies" not in lock.read_text()
    code, out, err = graph_project("tree", "--frozen")
    assert code == 1 and "pylock.toml is without dependencies" in err
    code, out, err = graph_project("tree")
    assert code == 0, err
    assert out == "demo v0.1.0\n└── ping v1.0\n    └── pong v1.0\n        └── ping v1.0 (*)\n\n" \
                  "(*) shown in full above\n"
    assert "dependencies" in lock.read_text()
    code, out, _ = graph_project("why", "pong")
    assert out == "demo v0.1.0 -> ping v1.0 -> pong v1.0\n"
