"""`pkm install REQ` without --no-deps: the resolver behind the install seam, end to end on the loopback index."""

from __future__ import annotations

import pytest


def test_install_follows_dependencies_and_extras(pkm, publish, index_server):
    env = pkm.venv()
    publish("app", "1.0", dependencies=["lib>=1", "old; python_version < '3'"], extras={"fast": ["speedups"]})
    publish("lib", "1.0")
    publish("lib", "1.2", dependencies=["helper==0.3"])
    publish("lib", "2.0", requires_python=">=3.99")
    publish("helper", "0.3")
    publish("speedups", "5.0")
    code, out, err = pkm("install", "app[fast]", "--env", str(env), "--index-url", index_server.simple_url)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + app==1.0", " + helper==0.3", " + lib==1.2", " + speedups==5.0"]
    probe = pkm.python(env, "import app, lib, helper, speedups; print(lib.__version__)")
    assert probe.stdout == "1.2\n", probe.stderr


def test_install_explains_an_impossible_request_and_changes_nothing(pkm, publish, index_server):
    env = pkm.venv()
    publish("app", "1.0", dependencies=["lib>=2"])
    publish("lib", "1.0")
    code, out, err = pkm("install", "app", "--env", str(env), "--index-url", index_server.simple_url)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "error: no set of versions satisfies the requirements",
        "  Because every version of app depends on lib>=2 and there is no version of lib>=2, no version of app can be used.",
        "  And because you require any version of app, the requirements are unsatisfiable.",
        "hint: lib has 1 version on the index: 1.0",
    ]
    assert list(env.glob("lib/*/site-packages/*.dist-info")) == []


def test_install_constraints_from_a_requirements_file(pkm, publish, index_server):
    env = pkm.venv()
    publish("app", "1.0", dependencies=["lib"])
    publish("lib", "1.0")
    publish("lib", "2.0")
    (pkm.work / "constraints.txt").write_text("lib<2\n")
    (pkm.work / "reqs.txt").write_text("-c constraints.txt\napp\n")
    code, out, err = pkm("install", "-r", "reqs.txt", "--env", str(env), "--index-url", index_server.simple_url)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + app==1.0", " + lib==1.0"]


def test_installed_versions_that_still_fit_are_kept(pkm, publish, index_server):
    env = pkm.venv()
    url = ("--env", str(env), "--index-url", index_server.simple_url)
    publish("lib", "1.0")
    assert pkm("install", "lib", *url)[0] == 0
    publish("lib", "1.5")
    publish("app", "1.0", dependencies=["lib>=1"])
    code, out, err = pkm("install", "app", *url)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + app==1.0"]  # lib 1.0 still fits: it stays
    code, out, err = pkm("install", "app", "lib>=1.5", *url)
    assert code == 0 and out.splitlines()[1:] == [" ~ lib 1.0 -> 1.5"]


def test_hashes_gate_dependencies_too(pkm, publish, index_server, dists):
    import hashlib

    env = pkm.venv()
    publish("app", "1.0", dependencies=["lib"])
    publish("lib", "1.0")
    app = hashlib.sha256((dists.directory / "app-1.0-py3-none-any.whl").read_bytes()).hexdigest()
    (pkm.work / "reqs.txt").write_text(f"app==1.0 --hash=sha256:{app}\n")
    args = ("-r", "reqs.txt", "--env", str(env), "--index-url", index_server.simple_url)
    code, out, err = pkm("install", "--require-hashes", *args)
    assert (code, out) == (2, "") and "--require-hashes: the dependency `lib` has no --hash" in err
    (pkm.work / "reqs.txt").write_text(f"app==1.0 --hash=sha256:{app}\nlib==1.0 --hash=sha256:{'0' * 64}\n")
    code, out, err = pkm("install", *args)
    assert code == 1 and "does not match the hashes in reqs.txt:2" in err
    assert list(env.glob("lib/*/site-packages/*.dist-info")) == []


def test_direct_url_requirements_pin_the_archive(pkm, publish, index_server, dists):
    env = pkm.venv()
    url = publish("app", "1.0", dependencies=["lib>=1"])
    publish("app", "2.0")
    publish("lib", "1.0")
    local = dists.wheel("tool", "0.5")
    args = ("--env", str(env), "--index-url", index_server.simple_url)
    code, out, err = pkm("install", f"app @ {url}", f"tool @ {local.as_uri()}", *args)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + app==1.0", " + lib==1.0", " + tool==0.5"]
    code, out, err = pkm("install", f"app @ {url}", "app>=2", *args)
    assert code == 1 and "app" in err and "Traceback" not in err
    code, out, err = pkm("install", "app @ git+https://example.org/app.git", *args)
    assert code == 2 and "pkm cannot use git+https URLs" in err
    code, out, err = pkm("install", f"lib @ {url}", *args)
    assert code == 2 and "the file is app 1.0, not lib" in err


def test_an_sdist_without_static_metadata_is_built_to_learn_its_dependencies(pkm, publish, index_server, tmp_path):
    from support.dists import make_tar

    env = pkm.venv()
    publish("lib", "1.0")
    pyproject = ('[build-system]\nrequires = ["pkm-tool"]\nbuild-backend = "pkm.backend"\n\n'
                 '[project]\nname = "dyn"\nversion = "1.0"\ndependencies = ["lib"]\n')
    old_pkg_info = "Metadata-Version: 2.1\nName: dyn\nVersion: 1.0\n"  # < 2.2: its dependencies are not known
    sdist = make_tar(tmp_path / "dyn-1.0.tar.gz", {"dyn-1.0/pyproject.toml": pyproject.encode(),
                                                   "dyn-1.0/PKG-INFO": old_pkg_info.encode(),
                                                   "dyn-1.0/dyn/__init__.py": b"x = 1\n"})
    index_server.add_file(sdist)
    code, out, err = pkm("install", "dyn", "--env", str(env), "--index-url", index_server.simple_url)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + dyn==1.0", " + lib==1.0"]
    code, out, err = pkm("resolve", "dyn", "--no-build", "--index-url", index_server.simple_url)
    assert code == 1 and "dyn" in err


@pytest.mark.parametrize("in_memory", [True, False], ids=["small-in-memory", "large-to-a-file"])
def test_a_server_that_ignores_ranges_sends_each_wheel_once(pkm, publish, index_server, monkeypatch, in_memory):
    # No metadata files and no range support (e.g. `python -m http.server`): reading a wheel's
    # METADATA downloads the whole wheel, which the store then keeps for the install.
    if not in_memory:
        from pkm.index import _simple

        monkeypatch.setattr(_simple, "_WHOLE_IN_MEMORY", 100)  # the test wheels are larger
    env = pkm.venv()
    publish("app", "1.0", dependencies=["lib>=1"])
    publish("lib", "1.0")
    index_server.metadata_files = False
    index_server.ranges = False
    code, out, err = pkm("install", "app", "--env", str(env), "--index-url", index_server.simple_url)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + app==1.0", " + lib==1.0"]
    fetched = sorted((hit.path, "range" in hit.headers) for hit in index_server.log if hit.path.startswith("/files/"))
    # a small wheel is used as the range request brought it; for a large one that answer is
    # dropped unread and the wheel downloaded to a file, once
    once = [] if in_memory else [False]
    assert fetched == [(f"/files/{name}-1.0-py3-none-any.whl", ranged) for name in ("app", "lib")
                       for ranged in once + [True]]
