"""Several builds at once: threads of one Frontend and concurrent `pkm build` processes build each sdist once."""

from __future__ import annotations

import hashlib
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pkm.build import Frontend
from pkm.store import Store


class NoRequirements:
    """A Provisioner for toy projects, whose `requires` is empty; counts its calls (thread-safe)."""

    def __init__(self):
        self.calls = 0
        self._lock = threading.Lock()

    def provision(self, requirements, interpreter, chain):
        assert not list(requirements)
        with self._lock:
            self.calls += 1
        return []


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _at_once(jobs):
    """Run the callables in threads that start together (a barrier); their results, in order."""
    barrier = threading.Barrier(len(jobs))

    def start(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(start, jobs))


class Counter:
    """The file the toy backend appends its project's name to per real build_wheel call (TOY_COUNT)."""

    def __init__(self, path: Path):
        self.path = path

    def builds(self):
        return sorted(self.path.read_text().split()) if self.path.exists() else []


@pytest.fixture
def counted(tmp_path, monkeypatch):
    counter = Counter(tmp_path / "builds.txt")
    monkeypatch.setenv("TOY_COUNT", str(counter.path))  # for builds of this process; pkm runs get env=
    return counter


def test_two_sdists_and_one_sdist_twice_at_once_build_once_each(tmp_path, python_interpreter, toy_sdist, counted):
    frontend = Frontend(Store(tmp_path / "home"), python_interpreter, NoRequirements())
    alpha, beta = toy_sdist("alpha"), toy_sdist("beta")
    jobs = [lambda s=sdist: frontend.wheel_from_sdist(s, _sha(s)) for sdist in (alpha, beta, alpha, beta, alpha)]
    wheels = _at_once(jobs)
    assert counted.builds() == ["alpha", "beta"]  # one real build per sdist, however many asked
    assert wheels[0] == wheels[2] == wheels[4] and wheels[1] == wheels[3]
    assert [w.name for w in wheels[:2]] == ["alpha-1.0-py3-none-any.whl", "beta-1.0-py3-none-any.whl"]
    for wheel in wheels[:2]:
        with zipfile.ZipFile(wheel) as zf:
            assert zf.testzip() is None
    assert list((frontend.store.root / "build-logs-v1").iterdir()) == []
    assert list(frontend.store.tmp.iterdir()) == []  # no staging folder left by the waiting builds


def test_different_config_settings_of_one_sdist_at_once_are_two_builds(
        tmp_path, python_interpreter, toy_sdist, counted):
    frontend = Frontend(Store(tmp_path / "home"), python_interpreter, NoRequirements())
    alpha = toy_sdist("alpha")
    plain, tuned = _at_once([lambda: frontend.wheel_from_sdist(alpha, _sha(alpha)),
                             lambda: frontend.wheel_from_sdist(alpha, _sha(alpha), {"opt": "1"})])
    assert plain != tuned
    assert counted.builds() == ["alpha", "alpha"]


def test_concurrent_pkm_build_processes_build_a_shared_sdist_once(run_pkm, toy_sdist, tmp_path, counted):
    alpha, beta = toy_sdist("alpha"), toy_sdist("beta")
    env = {"TOY_COUNT": str(counted.path)}
    jobs = [lambda s=sdist, i=i: run_pkm("build", str(s), "-o", str(tmp_path / f"out{i}"), env=env)
            for i, sdist in enumerate((alpha, beta, alpha, alpha))]
    results = _at_once(jobs)
    for done in results:
        assert done.returncode == 0, done.stderr
    assert counted.builds() == ["alpha", "beta"]
    built = [tmp_path / f"out{i}" / f"{name}-1.0-py3-none-any.whl"
             for i, name in enumerate(("alpha", "beta", "alpha", "alpha"))]
    assert all(path.is_file() for path in built)
    assert len({path.read_bytes() for path in built if path.name.startswith("alpha")}) == 1
