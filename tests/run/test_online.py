"""Real PyPI (marked online): a script using numpy (C extension), requests (data files), zope.interface
(a namespace package with C code), and pytest with a plugin found by entry points, cold then warm."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.online

SCRIPT = """
import importlib.metadata as md, os, sys
import numpy, requests, certifi, zope.interface, pytest
from zope.interface import Interface, implementer

class IThing(Interface):
    pass

@implementer(IThing)
class Thing:
    pass

print(numpy.arange(4).sum(), IThing.providedBy(Thing()))
print(os.path.isfile(certifi.where()), os.path.isfile(requests.certs.where()))
print("timeout" in [e.name for e in md.entry_points(group="pytest11")])
print(pytest.main(["--version"]) == 0, "pkm" not in numpy.__file__.split(os.sep)[-2])
"""


def test_real_packages_run_from_the_store(run):
    run.env["PKM_INDEX_URL"] = "https://pypi.org/simple/"
    run.script("real.py", SCRIPT, deps=["numpy", "requests", "zope.interface", "pytest", "pytest-timeout"])
    for _ in ("cold", "warm"):
        done = run("real.py")
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[:3] == ["6 True", "True True", "True"] and lines[-1] == "True True", done.stdout
