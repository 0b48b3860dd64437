"""Processes sharing a store: bounded lock waits that name the holder, one unpack per wheel."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pkm.store import MARKER, FileLock, LockTimeoutError, Store

REPO = Path(__file__).resolve().parents[2]

HOLD = """
import sys
from pathlib import Path
from pkm.store import Store
with Store(Path(sys.argv[1])).lock(sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
"""

# Unpacks a wheel, reporting on stdout when it reaches the tree's lock ("locking") and when
# it starts unpacking ("unpacking"); with "hold" it then waits for a line on stdin, so the
# test decides when the unpack may finish. No sleeps: the pipes order the two processes.
UNPACK = """
import json, sys
from pathlib import Path
from pkm.store import Store, _store
home, wheel, sha, mode = sys.argv[1:5]
real_lock, real_unpack = Store.lock, _store.unpack_wheel_file

def lock(self, name, **kwargs):
    if name.startswith("tree-"):
        print("locking", flush=True)
    return real_lock(self, name, **kwargs)

def unpack(*args):
    print("unpacking", flush=True)
    if mode == "hold":
        sys.stdin.readline()
    return real_unpack(*args)

Store.lock, _store.unpack_wheel_file = lock, unpack
tree = Store(Path(home)).add_tree(wheel, sha)
print(json.dumps({"tree": str(tree), "marker": (tree / ".pkm-complete").read_text()}), flush=True)
"""


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


@pytest.fixture
def holder(store):
    """Start a process holding a named store lock; yields a function taking the lock name."""
    procs = []

    def start(name: str) -> subprocess.Popen:
        store.ensure()
        proc = _python(HOLD, str(store.root), name)
        procs.append(proc)
        assert proc.stdout.readline() == "locked\n", proc.stderr.read()
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


def test_lock_timeout_names_the_holder(tmp_path, wheel, holder):
    path, sha = wheel()
    store = Store(tmp_path / "home", lock_timeout=0.3)
    proc = holder(f"tree-{sha}")
    with pytest.raises(LockTimeoutError) as err:
        store.add_tree(path, sha)
    assert err.value.what == f"timed out after 0.3 s waiting for the store lock on the tree of {path.name}"
    assert f"held by pid {proc.pid} (`" in err.value.why
    # The holder's command line: Python 3.10+ keeps `-c`'s code in sys.orig_argv; 3.9 shows its arguments.
    assert ("import sys" if sys.version_info >= (3, 10) else f"{store.root} tree-{sha}") in err.value.why
    assert "wait for that process" in err.value.hint
    assert store.tree(sha) is None


def test_lock_of_a_killed_holder_is_free_at_once(store, holder):
    proc = holder("gc")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store.lock_timeout = 5
    with store.lock("gc") as lock:
        assert lock.holder()["pid"] == os.getpid()


def test_waiter_gets_the_lock_when_the_holder_finishes(store, holder):
    proc = holder("gc")
    got = []
    waiter = threading.Thread(target=lambda: got.append(store.lock("gc").__enter__()))
    waiter.start()
    proc.stdin.close()  # let the holder finish
    waiter.join(10)
    assert got and got[0].holder()["pid"] == os.getpid()
    got[0].release()


def test_a_deleted_lock_file_is_not_locked_twice(tmp_path):
    path = tmp_path / "locks" / "x.lock"
    first = FileLock(path, timeout=0)
    first.acquire()
    path.unlink()  # as gc does, while holding the lock
    second = FileLock(path, timeout=0)
    second.acquire()  # the file at the path is a new one: no conflict, no stale lock
    first.release()
    with pytest.raises(LockTimeoutError):
        FileLock(path, timeout=0).acquire()
    second.release()


def test_two_processes_unpacking_one_wheel_share_one_tree(store, wheel):
    files = {f"big/mod{i}.py": f"VALUE = {i}\n" * 50 for i in range(300)}
    path, sha = wheel("big", "1.0", files=files)
    store.ensure()
    first = _python(UNPACK, str(store.root), str(path), sha, "hold")
    second = None
    try:
        assert first.stdout.readline() == "locking\n", first.stderr.read()
        assert first.stdout.readline() == "unpacking\n"  # holds the tree's lock, mid-unpack
        second = _python(UNPACK, str(store.root), str(path), sha, "go")
        # the second found no tree and went for the lock, which the first holds
        assert second.stdout.readline() == "locking\n", second.stderr.read()
        first.stdin.write("finish\n")
        first.stdin.flush()
        results = []
        for proc in (first, second):
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            results.append(out)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert "unpacking" not in results[1].splitlines()  # the second waited, then reused the first's tree
    trees = [json.loads(out.splitlines()[-1]) for out in results]
    assert trees[0] == trees[1]  # same tree, same marker
    assert json.loads((Path(trees[0]["tree"]) / MARKER).read_text())["files"] == 303
    assert os.listdir(store.root / "tmp") == []
    assert store.verify().corrupt == []


def test_threads_unpacking_one_wheel_share_one_tree(store, wheel):
    path, sha = wheel()
    trees = []
    threads = [threading.Thread(target=lambda: trees.append(store.add_tree(path, sha))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(trees) == 4 and len(set(trees)) == 1
    assert os.listdir(store.root / "tmp") == []
