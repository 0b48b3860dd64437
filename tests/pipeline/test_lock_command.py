"""`pkm lock`: resolve into pylock.toml, keep versions on re-lock, --check, and the lock installs back."""

from __future__ import annotations

import json
import sys

from pkm.lock import read_lock

PYTHON = "%d.%d" % sys.version_info[:2]


def test_lock_writes_a_one_environment_lock_that_sync_installs(pkm, publish, index_server):
    publish("app", "1.0", dependencies=["lib>=1"])
    publish("lib", "1.0")
    publish("lib", "1.1", sdist=True)  # sdist only: --only-binary keeps lib at 1.0
    code, out, err = pkm("lock", "app", "--only-binary", ":all:", "--index-url", index_server.simple_url)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + app==1.0", " + lib==1.0"]
    assert out.startswith("Locked 2 packages for ") and out.splitlines()[0].endswith(" in pylock.toml")
    lock = read_lock(pkm.work / "pylock.toml")
    assert [(p.name, str(p.version)) for p in lock.packages] == [("app", "1.0"), ("lib", "1.0")]
    assert str(lock.requires_python) == f"=={PYTHON}.*"
    assert f'python_version == "{PYTHON}"' in str(lock.environments[0])
    wheel = lock.packages[1].wheels[0]
    assert wheel.name == "lib-1.0-py3-none-any.whl" and len(wheel.hashes["sha256"]) == 64 and wheel.size > 0
    assert lock.packages[1].index == index_server.simple_url
    env = pkm.venv()
    code, out, err = pkm("sync", "--lock", "pylock.toml", "--env", str(env))
    assert code == 0, err
    assert out.splitlines()[1:] == [" + app==1.0", " + lib==1.0"]


def test_relock_keeps_versions_until_asked_and_check_notices_staleness(pkm, publish, index_server):
    url = ("--index-url", index_server.simple_url)
    publish("app", "1.0", dependencies=["lib"])
    publish("lib", "1.0")
    assert pkm("lock", "app", *url)[0] == 0
    first = (pkm.work / "pylock.toml").read_bytes()
    publish("lib", "2.0")
    code, out, err = pkm("lock", "app", "--check", *url)
    assert (code, out) == (0, "pylock.toml is up to date (2 packages)\n"), err
    code, out, _ = pkm("lock", "app", *url)  # a newer lib exists, but the lock's 1.0 still fits
    assert (code, out) == (0, "pylock.toml is up to date (2 packages)\n")
    assert (pkm.work / "pylock.toml").read_bytes() == first
    code, out, err = pkm("lock", "app", "lib>=2", "--check", *url)  # the requirements changed
    assert (code, out) == (1, "")
    assert err.splitlines() == ["error: pylock.toml is stale", "  a fresh lock differs:", "   ~ lib 1.0 -> 2.0",
                                "hint: run the same `pkm lock` without --check to update pylock.toml"]
    assert (pkm.work / "pylock.toml").read_bytes() == first  # --check writes nothing
    code, out, _ = pkm("lock", "app", "-P", "lib", *url)
    assert code == 0 and out.splitlines()[1:] == [" ~ lib 1.0 -> 2.0"]


def test_the_same_resolution_gives_the_same_bytes(pkm, publish, index_server):
    publish("app", "1.0", dependencies=["lib"])
    publish("lib", "1.0")
    url = ("--index-url", index_server.simple_url)
    assert pkm("lock", "app", "-o", "a.toml", *url)[0] == 0
    assert pkm("lock", "app", "-o", "b.toml", *url)[0] == 0
    assert (pkm.work / "a.toml").read_bytes() == (pkm.work / "b.toml").read_bytes()


def test_check_without_a_lock_fails_and_json_output(pkm, publish, index_server):
    publish("lib", "1.0")
    url = ("--index-url", index_server.simple_url)
    code, out, err = pkm("lock", "lib", "--check", *url)
    assert code == 1 and "error: pylock.toml is stale\n  it does not exist" in err
    code, out, err = pkm("lock", "lib", "--format", "json", *url)
    data = json.loads(out)
    assert code == 0 and data["changed"] is True and data["packages"] == [{"name": "lib", "version": "1.0"}]


def test_a_broken_lock_is_reported_with_its_file_and_nothing_is_resolved(pkm, index_server):
    (pkm.work / "pylock.toml").write_text("lock-version = [\n")
    code, out, err = pkm("lock", "anything", "--index-url", index_server.simple_url)
    assert code == 2 and out == "" and "pylock.toml" in err
    assert index_server.hits() == []
    assert (pkm.work / "pylock.toml").read_text() == "lock-version = [\n"


def test_an_unsatisfiable_lock_writes_nothing(pkm, publish, index_server):
    publish("app", "1.0", dependencies=["lib>=2"])
    publish("lib", "1.0")
    code, out, err = pkm("lock", "app", "--index-url", index_server.simple_url)
    assert (code, out) == (1, "") and "no set of versions satisfies the requirements" in err
    assert not (pkm.work / "pylock.toml").exists()
