"""Packages load their public names on first use: importing one part imports no other."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["pkm.env", "pkm.install", "pkm.project", "pkm.ui"])
def test_every_listed_name_loads_and_an_unknown_one_is_an_attribute_error(package):
    code = (
        "import importlib, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "loaded_before = sorted(m for m in sys.modules if m.startswith(pkg.__name__ + '.'))\n"
        "assert dir(pkg) == sorted(pkg.__all__), dir(pkg)\n"
        "for name in pkg.__all__:\n"
        "    value = getattr(pkg, name)\n"
        "    home = sys.modules[pkg.__name__ + '.' + pkg._HOME[name]]\n"
        "    assert vars(pkg)[name] is value and vars(home)[name] is value\n"
        "try:\n"
        "    pkg.no_such_name\n"
        "except AttributeError as exc:\n"
        "    print(loaded_before, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == f"[] module {package!r} has no attribute 'no_such_name'\n"
