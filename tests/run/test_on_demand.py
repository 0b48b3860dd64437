"""On-demand imports: a missing top-level import from the script's own code is resolved, recorded, and said."""

from __future__ import annotations

import json


def test_an_unknown_name_is_tried_as_a_distribution_only_when_allowed(run, publish):
    publish("zzdemo", "1.2", dependencies=["zzhelper"], files={"zzdemo/__init__.py": "from zzhelper import v\n"})
    publish("zzhelper", "0.1", files={"zzhelper.py": "v = 'helped'\n"})
    run.script("od.py", "import zzdemo\nprint(zzdemo.v)\n")
    done = run("od.py")
    assert (done.returncode, done.stdout) == (1, "")
    assert "ModuleNotFoundError: No module named 'zzdemo'" in done.stderr
    assert "no known distribution provides the module `zzdemo`" in done.stderr
    assert "--allow-unknown" in done.stderr
    done = run("--allow-unknown", "od.py")
    assert (done.returncode, done.stdout) == (0, "helped\n"), done.stderr
    assert done.stderr == f"pkm: 'zzdemo' resolved on demand to zzdemo 1.2; declare it: pkm add --script {run.work / 'od.py'} zzdemo\n"
    [manifest] = run.manifests()
    names = sorted(d["name"] for d in json.loads(manifest.read_text())["distributions"])
    assert names == ["zzdemo", "zzhelper"]
    again = run("od.py")  # recorded: the next run is warm, even without --allow-unknown
    assert (again.returncode, again.stdout, again.stderr) == (0, "helped\n", "")


def test_guarded_imports_and_library_probes_stay_plain_misses(run, publish):
    publish("probe", "1.0", files={"probe.py": "try:\n    import zzoptional\nexcept ImportError:\n    zzoptional = None\n"})
    publish("zzoptional", "1.0")
    run.script("g.py", "import probe\ntry:\n    import zzmissing\nexcept ImportError as e:\n    print('guarded')\n"
                       "print(probe.zzoptional)\n", deps=["probe"])
    done = run("--allow-unknown", "g.py")
    assert (done.returncode, done.stdout) == (0, "guarded\nNone\n"), done.stderr


def test_no_on_demand_and_offline(run, publish):
    publish("zzdemo", "1.0")
    run.script("n.py", "import zzdemo\n")
    done = run("--no-on-demand", "--allow-unknown", "n.py")
    assert done.returncode == 1 and done.stderr.splitlines()[-1] == "ModuleNotFoundError: No module named 'zzdemo'"
    done = run("--offline", "--allow-unknown", "n.py")
    assert done.returncode == 1 and "No module named 'zzdemo'" in done.stderr and "hint: " in done.stderr


def test_an_on_demand_conflict_with_active_versions_is_explained(run, publish):
    publish("base", "1.0")
    publish("zzneeds", "1.0", dependencies=["base>=2"])
    run.script("c.py", "import base\nimport zzneeds\n", deps=["base==1.0"])
    done = run("--allow-unknown", "c.py")
    assert done.returncode == 1 and "No module named 'zzneeds'" in done.stderr
    assert "base" in done.stderr and "Traceback" in done.stderr  # the script's own traceback, with the reason


def test_known_import_names_map_to_their_distribution(run, publish):
    publish("pyyaml", "6.0", files={"yaml/__init__.py": "def safe_dump(d):\n    return 'dumped'\n"})
    run.script("y.py", "import yaml\nprint(yaml.safe_dump({}))\n")
    done = run("y.py")
    assert (done.returncode, done.stdout) == (0, "dumped\n"), done.stderr
    assert done.stderr == f"pkm: 'yaml' resolved on demand to pyyaml 6.0; declare it: pkm add --script {run.work / 'y.py'} pyyaml\n"
    assert run("y.py").stderr == ""  # recorded


def test_a_shared_namespace_is_not_guessed_and_pkm_frames_stay_out(run):
    run.script("g.py", "import google\n")
    done = run("g.py")
    assert done.returncode == 1
    assert "`google` is a namespace that many distributions share; pkm will not guess which one" in done.stderr
    assert "pkm_runtime" not in done.stderr and "pkm/run" not in done.stderr
