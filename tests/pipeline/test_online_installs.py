"""Real PyPI (marked online): C extensions, big pure-Python packages and entry points install and import."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.online


def test_numpy_pandas_django_pyyaml_install_import_and_uninstall(pkm):
    env = pkm.venv()
    code, out, err = pkm("install", "numpy", "pandas", "django", "pyyaml", "--env", str(env),
                         "--index-url", "https://pypi.org/simple/")
    assert code == 0, err
    installed = {line[3:].split("==")[0] for line in out.splitlines()[1:]}
    assert {"numpy", "pandas", "django", "pyyaml", "python-dateutil", "asgiref"} <= installed
    probe = pkm.python(env, "import numpy, pandas, django, yaml\n"
                            "print(pandas.Series([1, 2]).sum(), yaml.safe_load('a: 1'), django.get_version() > '4')")
    assert probe.stdout == "3 {'a': 1} True\n", probe.stderr
    admin = pkm.python(env, "import subprocess, sys, os\n"
                            "exe = os.path.join(os.path.dirname(sys.executable), 'django-admin')\n"
                            "print(subprocess.run([exe, '--version'], capture_output=True, text=True).returncode)")
    assert admin.stdout == "0\n", admin.stderr
    code, out, err = pkm("uninstall", "pandas", "--env", str(env))
    assert code == 0, err
    assert pkm.python(env, "import pandas").returncode == 1
