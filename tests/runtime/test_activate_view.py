"""Activating a manifest with a view: one sys.path entry ahead of the host's site-packages, the finder for the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, site, sys
from pkm_runtime import activate, manifest
data = manifest.read(sys.argv[1])
before = list(sys.path)
finder = activate.activate(data)
import viewed, other, importlib.metadata as md
site_dirs = [p for p in sys.path if p in site.getsitepackages()]
position = sys.path.index(data["view"])
answer = {"viewed": viewed.WHERE, "other": other.WHERE, "version": md.version("viewed"),
          "by_finder": [finder.provides(n) for n in ("viewed", "other")],
          "before_site": bool(site_dirs) and all(position < sys.path.index(p) for p in site_dirs),
          "usable": manifest.usable(data, data["interpreter"])}
activate.deactivate()
answer["restored"] = sys.path == before
print(json.dumps(answer))
"""


def _dist(name: str, tree: Path) -> dict:
    return {"name": name, "version": "1.0", "tree": str(tree), "roots": [str(tree)], "top_level": [name],
            "dist_info": f"{name}-1.0.dist-info", "requested": True}


def test_a_manifest_with_a_view_puts_it_on_sys_path_and_the_finder_serves_the_rest(tmp_path):
    from pkm_runtime import context, manifest

    view, viewed_tree, other_tree = tmp_path / "view", tmp_path / "tree-a", tmp_path / "tree-b"
    for directory, name, where in ((view, "viewed", "view"), (viewed_tree, "viewed", "tree"),
                                   (other_tree, "other", "finder")):
        (directory / f"{name}-1.0.dist-info").mkdir(parents=True)
        (directory / f"{name}-1.0.dist-info" / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (directory / f"{name}.py").write_text(f"WHERE = {where!r}\n")
    viewed = dict(_dist("viewed", viewed_tree), in_view=True)
    data = {"interpreter": context.interpreter_id(), "distributions": [viewed, _dist("other", other_tree)],
            "paths": [], "pth_imports": [], "view": str(view)}
    path = manifest.write(str(tmp_path / "m.json"), data)
    done = subprocess.run([sys.executable, "-c", PROBE, path], capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"viewed": "view", "other": "finder", "version": "1.0",
                                       "by_finder": [False, True], "before_site": True, "usable": True,
                                       "restored": True}


def test_a_manifest_whose_view_is_gone_is_not_usable(tmp_path):
    from pkm_runtime import context, manifest

    tree = tmp_path / "tree"
    tree.mkdir()
    data = {"interpreter": context.interpreter_id(), "distributions": [{"tree": str(tree)}], "view": str(tmp_path / "gone")}
    assert not manifest.usable(data, context.interpreter_id())
    (tmp_path / "gone").mkdir()
    assert manifest.usable(data, context.interpreter_id())
