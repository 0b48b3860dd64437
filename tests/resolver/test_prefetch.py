"""Background prefetching, dependency pages fetched a level early, one version per equal version text, the collector paused."""

from __future__ import annotations

import gc
import threading

from packaging.requirements import Requirement
from packaging.version import Version

from pkm.index import Artifact, FakeIndex, ProjectPage
from pkm.resolver import Options, Target, resolve
from pkm.resolver._model import ROOT, _Project
from pkm.resolver._prefetch import Prefetcher, dependency_names
from pkm.resolver._provider import PythonProvider

PY311 = Target.synthesize("3.11.7", "linux")


class GatedIndex:
    """An index whose prefetch waits for `gate`, recording what it was asked."""

    def __init__(self, fail: bool = False):
        self.gate = threading.Event()
        self.asked = []
        self.fail = fail

    def prefetch(self, names, *, metadata_for=()):
        self.gate.wait(timeout=10)
        self.asked.append((tuple(names), tuple(metadata_for)))
        if self.fail:
            raise RuntimeError("the index broke")


def test_a_batch_runs_in_the_background_and_close_waits_for_it():
    index = GatedIndex()
    prefetcher = Prefetcher(index)
    prefetcher.submit(["a", "b"])
    assert index.asked == []  # submit did not wait for the gated batch
    index.gate.set()
    prefetcher.close()
    assert index.asked == [(("a", "b"), ())]
    assert not any(t.name.startswith("pkm-prefetch") for t in threading.enumerate())


def test_what_a_batch_leads_to_is_fetched_next_and_failures_are_dropped():
    index = GatedIndex()
    index.gate.set()
    prefetcher = Prefetcher(index)
    prefetcher.submit([], metadata_for=["meta-of-a"], then=lambda artifacts: [f"dependency-of-{artifacts[0]}"])
    prefetcher.submit([])  # nothing to do: no batch
    prefetcher.close()
    assert index.asked == [((), ("meta-of-a",)), (("dependency-of-meta-of-a",), ())]
    failing = GatedIndex(fail=True)
    failing.gate.set()
    broken = Prefetcher(failing)
    broken.submit(["x"], then=lambda artifacts: ["never"])
    broken.close()  # the failure is the real call's to report, not the prefetcher's
    assert failing.asked == [(("x",), ())]


def test_the_pages_named_by_prefetched_metadata_are_those_the_target_needs_and_not_yet_asked():
    index = FakeIndex()
    (a,) = index.add("a", "1.0", dependencies=["c", "b>=1", "d; sys_platform == 'win32'", "e[x]"])
    (broken,) = index.add("f", "1.0", metadata="not metadata at all")
    provider = PythonProvider(index, PY311, [Requirement("a"), Requirement("b")])
    provider.get_dependencies(ROOT, Version("0"))  # the root asks for the pages of a and b
    names = dependency_names(index, PY311.markers, [a, broken], provider._asked_pages)
    assert names == ["c", "e"]  # d: its marker is false here; b: asked already
    provider.close()


def test_files_of_equal_versions_spelled_apart_are_one_version_in_page_order():
    files = ["demo-1.0.0-py3-none-any.whl", "demo-1.0.tar.gz", "demo-1.0.0.zip", "demo-2.0.tar.gz"]
    page = ProjectPage("demo", tuple(Artifact(f, f"https://x/{f}") for f in files), "https://x/")
    project = _Project("demo", page)
    assert list(project.versions) == [Version("2.0"), Version("1.0")]
    assert [a.filename for a in project.versions[Version("1")]] == files[:3]


def test_the_collector_is_paused_while_resolving_and_restored_after():
    seen = []

    class Watching(FakeIndex):
        def project_page(self, name):
            seen.append(gc.isenabled())
            return super().project_page(name)

    index = Watching()
    index.add("a", "1.0")
    assert gc.isenabled()
    resolve([Requirement("a")], index, PY311, Options())
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        resolve([Requirement("a")], index, PY311, Options())
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_closing_with_cancel_drops_the_batches_not_started():
    index = GatedIndex()
    started = threading.Semaphore(0)
    gated = index.prefetch

    def prefetch(names, *, metadata_for=()):
        started.release()
        gated(names, metadata_for=metadata_for)

    index.prefetch = prefetch
    prefetcher = Prefetcher(index)
    prefetcher.submit(["a"])
    prefetcher.submit(["b"])
    assert started.acquire(timeout=10) and started.acquire(timeout=10)  # both threads busy at the gate
    for name in "cde":
        prefetcher.submit([name])  # queued behind them
    opener = threading.Timer(0.2, index.gate.set)  # lets the two running batches end after close has cancelled
    opener.start()
    prefetcher.close(cancel=True)
    opener.join()
    assert sorted(names for names, _ in index.asked) == [("a",), ("b",)]
