"""`pkm resolve` against the loopback index: pinned lines, JSON, explanations, exit codes, targets."""

from __future__ import annotations

import json
import os
import sys

import pytest

from pkm import cli as pkm_cli
from pkm.cli import main

# Until the lead registers it in pkm/cli/__init__.py:
RESOLVE = ("pkm.cli.resolve", "Resolve requirements to exact versions (no install)")


@pytest.fixture
def pkm(tmp_path, monkeypatch, capsys, index_server):
    """Run `pkm resolve ... --index-url <loopback>` in-process; returns (code, out, err)."""
    monkeypatch.setitem(pkm_cli.COMMANDS, "resolve", RESOLVE)
    for name in [k for k in os.environ if k.startswith("PKM_")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PKM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)

    def run(*args: str):
        capsys.readouterr()
        code = main(["resolve", *args, "--index-url", index_server.simple_url])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_prints_pins_sorted_by_name_and_json(pkm, publish):
    publish("Zeta_Pkg", "1.0", dependencies=["alpha>=1"])
    publish("alpha", "1.0")
    publish("alpha", "2.0", dependencies=["beta; python_version < '3'"])
    code, out, err = pkm("zeta-pkg")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["alpha==2.0", "zeta-pkg==1.0"]
    code, out, _ = pkm("zeta-pkg", "alpha<2", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"packages": [{"name": "alpha", "version": "1.0"}, {"name": "zeta-pkg", "version": "1.0"}]}


def test_the_command_leaves_the_garbage_collector_as_it_found_it(pkm, publish):
    import gc

    publish("alpha", "1.0")
    assert gc.isenabled()
    assert pkm("alpha")[0] == 0 and pkm("no-such-project")[0] == 1
    assert gc.isenabled()  # pkm.cli.main in a longer-lived process: collection still on


def test_root_pages_fetched_early_are_asked_for_once(pkm, publish, index_server):
    publish("alpha", "1.0", dependencies=["beta"])
    publish("beta", "1.0")
    publish("gamma", "2.0")
    code, out, _ = pkm("alpha", "gamma", "missing-project; python_version < '3'")
    assert code == 0 and out.splitlines() == ["alpha==1.0", "beta==1.0", "gamma==2.0"]
    pages = [hit.path for hit in index_server.log if hit.path.startswith("/simple/")]
    assert sorted(pages) == sorted(set(pages)) and "/simple/missing-project/" not in pages


def test_an_early_fetch_failure_is_reported_by_the_resolution(pkm, index_server):
    code, _, err = pkm("no-such-project")
    assert code == 1 and "no-such-project" in err and "Traceback" not in err


def test_extras_follow_the_base_version(pkm, publish):
    publish("app", "1.0", extras={"cli": ["click>=8"]})
    publish("app", "2.0", extras={"cli": ["click>=9"]})
    publish("click", "8.1")
    code, out, err = pkm("app[cli]")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["app==1.0", "click==8.1"]  # app 2.0's extra needs click>=9, which does not exist


def test_unsatisfiable_requirements_are_explained(pkm, publish):
    publish("alpha", "1.0", dependencies=["beta<2"])
    publish("alpha", "2.0", dependencies=["beta>=2"])
    publish("beta", "1.0")
    publish("beta", "2.0", requires_python=">=3.99")
    code, out, err = pkm("alpha>=2.0")
    assert (code, out) == (1, "")
    version = "%d.%d.%d" % sys.version_info[:3]
    assert err.splitlines() == [
        "error: no set of versions satisfies the requirements",
        "  Because alpha>=2.0 depends on beta>=2 and beta>=2.0 depends on Python>=3.99, alpha>=2.0 requires Python>=3.99.",
        f"  And because you require both alpha>=2.0 and Python=={version}, the requirements are unsatisfiable.",
        f"hint: beta 2.0 requires Python >=3.99; this Python is {version}",
    ]
    code, out, _ = pkm("alpha")  # without the pin, alpha 1.0 works
    assert (code, out) == (0, "alpha==1.0\nbeta==1.0\n")


def test_a_missing_package_is_exit_1_with_where_we_looked(pkm, index_server):
    code, out, err = pkm("no-such-thing>=1")
    assert (code, out) == (1, "")
    assert "Because there is no version of no-such-thing" in err
    assert f"hint: no-such-thing was not found on the index (searched: {index_server.simple_url}" in err


def test_a_malformed_requirement_is_exit_2_with_a_caret(pkm):
    code, out, err = pkm("alpha>=>1")
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid requirement `alpha>=>1`")
    assert "^" in err


def test_nothing_to_resolve_is_usage_error(pkm):
    code, _, err = pkm()
    assert code == 2
    assert "nothing to resolve" in err


def test_python_version_and_platform_pick_markers_and_wheels(pkm, publish):
    publish("tool", "1.0", dependencies=["colorama; sys_platform == 'win32'", "legacy; python_version < '3.10'"])
    publish("colorama", "0.4")
    publish("legacy", "1.0")
    publish("native", "1.0", tag="cp39-cp39-win_amd64")
    assert pkm("tool", "--python-version", "3.12", "--platform", "linux")[1] == "tool==1.0\n"
    assert pkm("tool", "--python-version", "3.9", "--platform", "windows")[1] == "colorama==0.4\nlegacy==1.0\ntool==1.0\n"
    assert pkm("native", "--python-version", "3.9", "--platform", "windows")[1] == "native==1.0\n"
    code, _, err = pkm("native", "--python-version", "3.9", "--platform", "linux")
    assert code == 1
    assert 'every version of native is unavailable ("it has no wheel for CPython 3.9.0 on linux")' in err
    assert "hint: native 1.0 has wheels only for other platforms (cp39-cp39-win_amd64)" in err


def test_python_interpreter_by_path(pkm, publish):
    publish("only-new", "1.0", requires_python=">=3.99")
    code, _, err = pkm("only-new", "--python", sys.executable)
    assert code == 1
    assert "hint: only-new 1.0 requires Python >=3.99; this Python is %d.%d.%d" % sys.version_info[:3] in err


def test_prerelease_policies(pkm, publish):
    publish("lib", "1.0")
    publish("lib", "2.0b1")
    assert pkm("lib")[1] == "lib==1.0\n"
    assert pkm("lib", "--prerelease", "allow")[1] == "lib==2.0b1\n"
    assert pkm("lib", "--pre")[1] == "lib==2.0b1\n"
    assert pkm("lib>=2.0b1")[1] == "lib==2.0b1\n"  # the requirement names a pre-release
    assert pkm("lib>1.0")[1] == "lib==2.0b1\n"  # no final release fits: a pre-release is necessary
    code, _, err = pkm("lib>1.0", "--prerelease", "disallow")
    assert code == 1
    assert "hint: lib 2.0b1 is a pre-release; pass --prerelease allow to use it" in err


def test_binary_options(pkm, publish):
    publish("both", "1.0")
    publish("both", "1.0", sdist=True)
    publish("wheelonly", "1.0")
    assert pkm("both", "--no-binary", "both")[1] == "both==1.0\n"  # the sdist's PKG-INFO 2.2 is static
    code, _, err = pkm("wheelonly", "--no-binary", ":all:")
    assert code == 1
    assert "it has only wheels, and binaries are excluded (--no-binary)" in err
    publish("srconly", "1.0", sdist=True)
    code, _, err = pkm("srconly", "--only-binary", "srconly")
    assert code == 1
    assert "sdists are excluded (--only-binary)" in err
    code, _, err = pkm("srconly", "--no-build")
    assert code == 1
    assert "building is off (--no-build)" in err
    assert pkm("srconly", "wheelonly", "--no-build-package", "wheelonly")[0] == 0


def test_requirements_and_constraints_files(pkm, publish, tmp_path):
    publish("app", "1.0", dependencies=["lib"])
    publish("lib", "1.0")
    publish("lib", "2.0")
    (tmp_path / "constraints.txt").write_text("lib<2  # keep the old API\nunused==9\n")
    (tmp_path / "requirements.txt").write_text("-c constraints.txt\napp\n")
    code, out, err = pkm("-r", "requirements.txt")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["app==1.0", "lib==1.0"]  # a constraint narrows, never adds `unused`
    (tmp_path / "overrides.txt").write_text("lib==2.0\n")
    (tmp_path / "strict.txt").write_text("app\nlib<2\n")
    assert pkm("app", "--override", "overrides.txt")[1].splitlines() == ["app==1.0", "lib==2.0"]
    (tmp_path / "broken.txt").write_text("app\nlib >= = 2\n")
    code, _, err = pkm("-r", "broken.txt")
    assert code == 2
    assert "broken.txt:2" in err


def test_yanked_versions_only_when_pinned(pkm, publish):
    publish("lib", "1.0")
    publish("lib", "1.1", yanked="broken build")
    assert pkm("lib")[1] == "lib==1.0\n"
    assert pkm("lib==1.1")[1] == "lib==1.1\n"
    code, _, err = pkm("lib>1.0")
    assert code == 1
    assert "hint: lib 1.1 is yanked; pin it with `lib==1.1` to use it anyway" in err


def test_an_exported_problem_replays_offline_to_the_same_answer(pkm, publish, index_server, tmp_path):
    publish("app", "1.0", dependencies=["lib>=1", "src"], extras={"x": ["extra-dep"]})
    publish("lib", "1.0")
    publish("lib", "2.0", requires_python=">=3.99")
    publish("src", "0.5", sdist=True)  # static PKG-INFO: read from the downloaded sdist
    publish("extra-dep", "3.0")
    code, out, err = pkm("app[x]", "--python-version", "3.10", "--export-problem", "problem.json")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["app==1.0", "extra-dep==3.0", "lib==1.0", "src==0.5"]
    recorded = json.loads((tmp_path / "problem.json").read_text())
    assert recorded["requirements"] == ["app[x]"] and recorded["target"]["python_version"] == "3.10.0"
    assert set(recorded["pages"]) == {"app", "extra-dep", "lib", "src"}
    index_server.stop()  # the replay must not need it
    assert pkm("--problem", "problem.json") == (0, out, "")
    code, _, err = pkm("--problem", "problem.json", "app")
    assert code == 2 and "takes no requirements" in err
    (tmp_path / "bad.json").write_text('{"format": "something-else"}')
    code, _, err = pkm("--problem", "bad.json")
    assert code == 2 and "not a pkm-problem-1 file" in err


def test_an_unsatisfiable_problem_is_exported_too(pkm, publish, tmp_path):
    publish("app", "1.0", dependencies=["lib>=2"])
    publish("lib", "1.0")
    code, _, err = pkm("app", "--export-problem", "problem.json")
    assert code == 1
    assert pkm("--problem", "problem.json") == (1, "", err)


def test_prefer_a_lock_and_upgrade(pkm, publish, index_server, tmp_path):
    from types import SimpleNamespace

    from pkm.lock import package_from_artifacts, write_lock

    for version in ("1.0", "2.0"):
        publish("lib", version)
        publish("other", version)
    def wheel(name):
        return SimpleNamespace(filename=f"{name}-1.0-py3-none-any.whl", url=f"https://example.invalid/{name}.whl",
                               hashes={"sha256": "0" * 64}, size=1, upload_time=None)

    write_lock(tmp_path / "pylock.toml", [package_from_artifacts("lib", "1.0", [wheel("lib")]),
                                          package_from_artifacts("other", "1.0", [wheel("other")])])
    assert pkm("lib", "other", "--prefer", "pylock.toml")[1] == "lib==1.0\nother==1.0\n"
    assert pkm("lib", "other", "--prefer", "pylock.toml", "-P", "other")[1] == "lib==1.0\nother==2.0\n"
    assert pkm("lib", "other", "--prefer", "pylock.toml", "--upgrade")[1] == "lib==2.0\nother==2.0\n"
    code, _, err = pkm("lib", "--upgrade")
    assert code == 2 and "go with --prefer LOCK" in err
