"""Which files go where: src/ and flat layouts, package data, globs, force-include mappings, editables."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

import pkm.backend as backend

SIMPLE = '[project]\nname = "my-pkg"\nversion = "1.0"\n'


def _names(files, prefix="my_pkg-1.0.dist-info/"):
    return sorted(n for n in files if not n.startswith(prefix))


def test_src_layout_is_detected_and_ships_package_data(project, hook, read):
    root = project(SIMPLE, {
        "src/my_pkg/__init__.py": "", "src/my_pkg/data/table.csv": "a,b", "src/my_pkg/py.typed": "",
        "src/my_pkg/__pycache__/x.cpython-311.pyc": "junk", "src/my_pkg/old.pyc": "junk",
        "tests/test_it.py": "", "setup_helper.py": "",
    })
    files = read(hook(root, "build_wheel"))
    assert _names(files) == ["my_pkg/__init__.py", "my_pkg/data/table.csv", "my_pkg/py.typed"]


def test_flat_layout_and_single_module(project, hook, read):
    root = project(SIMPLE, {"my_pkg/__init__.py": "", "my_pkg/sub/mod.py": "", "docs/index.md": ""})
    assert _names(read(hook(root, "build_wheel"))) == ["my_pkg/__init__.py", "my_pkg/sub/mod.py"]
    root = project(SIMPLE, {"my_pkg.py": "x = 1", "other.py": ""})
    assert _names(read(hook(root, "build_wheel"))) == ["my_pkg.py"]


def test_missing_package_is_a_clear_error(project, hook):
    root = project(SIMPLE, {"something_else/__init__.py": ""})
    with pytest.raises(backend.ConfigError) as err:
        hook(root, "build_wheel")
    assert "no package `my_pkg`" in str(err.value)
    assert "hint: list the import packages: [tool.pkm.build] packages" in str(err.value)


def test_explicit_packages_exclude_and_force_include(project, hook, read):
    root = project(SIMPLE + """
[tool.pkm.build]
packages = ["alpha", "beta.py"]
exclude = ["alpha/fixtures/**", "**/*.orig"]

[tool.pkm.build.force-include]
"scripts" = "alpha/scripts"
"NOTICE.txt" = "alpha/NOTICE.txt"
""", {"alpha/__init__.py": "", "alpha/fixtures/big.bin": "x", "alpha/keep.py.orig": "", "alpha/keep.py": "",
          "beta.py": "", "scripts/run.sh": "#!/bin/sh\n", "NOTICE.txt": "n"})
    os.chmod(root / "scripts/run.sh", 0o775)
    wheel = hook(root, "build_wheel")
    assert _names(read(wheel)) == ["alpha/NOTICE.txt", "alpha/__init__.py", "alpha/keep.py",
                                   "alpha/scripts/run.sh", "beta.py"]
    modes = {i.filename: i.external_attr >> 16 for i in zipfile.ZipFile(wheel).infolist()}
    assert modes["alpha/scripts/run.sh"] == 0o100755 and modes["alpha/keep.py"] == 0o100644


@pytest.mark.parametrize("build, key, why", [
    ('packages = ["ghost"]', "tool.pkm.build.packages", "not found"),
    ('packages = ["a/b"]', "tool.pkm.build.packages[0]", "not a top-level import name"),
    ('pakages = ["x"]', "tool.pkm.build.pakages", "unknown key"),
    ('exclude = ["/etc/**"]', "tool.pkm.build.exclude", "relative path"),
    ('editable-force-include = "maybe"', "tool.pkm.build.editable-force-include", "\"error\" or \"skip\""),
    ('force-include = {"nowhere" = "my_pkg/x"}', "tool.pkm.build.force-include.'nowhere'", "does not exist"),
    ('force-include = {"../up" = "my_pkg/x"}', "tool.pkm.build.force-include.'../up'", "without `..`"),
    ('force-include = {"other.py" = "my_pkg/mod.py"}', "tool.pkm.build.force-include.'other.py'", "both be"),
])
def test_bad_build_tables_name_the_key(project, hook, build, key, why):
    root = project(f"{SIMPLE}\n[tool.pkm.build]\n{build}\n", {"my_pkg/__init__.py": "", "my_pkg/mod.py": "",
                                                              "other.py": ""})
    with pytest.raises(backend.ConfigError) as err:
        hook(root, "build_wheel")
    assert (err.value.key, why in str(err.value)) == (key, True), str(err.value)


def test_sdist_holds_sources_readme_licenses_and_includes(project, hook, read):
    root = project(SIMPLE + 'readme = "README.md"\nlicense = "MIT"\n' + """
[tool.pkm.build]
include = ["tests/**", "*.cfg"]
exclude = ["tests/data/**"]
force-include = {"extras" = "my_pkg/extras"}
""", {"src/my_pkg/__init__.py": "", "README.md": "r", "LICENSE": "l", "tests/test_a.py": "",
          "tests/data/huge.bin": "", "tests/__pycache__/x.pyc": "", "setup.cfg": "", "extras/e.txt": "e",
          "notes/private.txt": ""})
    sdist = hook(root, "build_sdist")
    assert sdist.name == "my_pkg-1.0.tar.gz"
    assert sorted(read(sdist)) == [f"my_pkg-1.0/{n}" for n in [
        "LICENSE", "PKG-INFO", "README.md", "extras/e.txt", "pyproject.toml", "setup.cfg", "src/my_pkg/__init__.py",
        "tests/test_a.py"]]


def test_editable_wheel_serves_the_source_tree(project, hook, tmp_path):
    root = project(SIMPLE + '[project.scripts]\nmy = "my_pkg:main"\n', {"src/my_pkg/__init__.py": "X = 1\n"})
    wheel = hook(root, "build_editable")
    with zipfile.ZipFile(wheel) as zf:
        assert sorted(zf.namelist()) == ["_my_pkg_editable.pth"] + [
            f"my_pkg-1.0.dist-info/{n}" for n in ("METADATA", "RECORD", "WHEEL", "entry_points.txt")]
        zf.extract("_my_pkg_editable.pth", tmp_path / "site")
    # The .pth is processed like site-packages would, and edits to the source show up without a rebuild.
    (root / "src/my_pkg/__init__.py").write_text("X = 2\n")
    code = f"import site; site.addsitedir({str(tmp_path / 'site')!r}); import my_pkg; print(my_pkg.X, my_pkg.__file__)"
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.split() == ["2", str((root / "src/my_pkg/__init__.py").resolve())], out.stderr


def test_editable_refuses_renaming_mappings_unless_told_to_skip(project, hook, read):
    files = {"my_pkg/__init__.py": "", "hooks/run.py": ""}
    root = project(SIMPLE + '[tool.pkm.build.force-include]\n"hooks" = "my_pkg/hooks"\n', files)
    with pytest.raises(backend.ConfigError) as err:
        hook(root, "build_editable")
    assert "cannot map 'hooks' to 'my_pkg/hooks'" in str(err.value)
    assert 'editable-force-include = "skip"' in str(err.value)
    assert hook(root, "build_wheel").exists()  # a normal wheel is fine
    root = project(SIMPLE + '[tool.pkm.build]\neditable-force-include = "skip"\n'
                   '[tool.pkm.build.force-include]\n"hooks" = "my_pkg/hooks"\n', files)
    pth = read(hook(root, "build_editable"))["_my_pkg_editable.pth"]
    assert pth.decode() == f"{root.resolve()}\n"
    # A mapping that keeps the folder's place relative to the path entry is servable as it is.
    root = project(SIMPLE + '[tool.pkm.build.force-include]\n"hooks" = "hooks"\n', files)
    assert "_my_pkg_editable.pth" in read(hook(root, "build_editable"))


def test_dynamic_version_errors(project, hook):
    dyn = '[project]\nname = "my-pkg"\ndynamic = ["version"]\n'
    for init, why in [("VERSION = '1'\n", "no `__version__"), ("__version__ = get()\n", "not a plain string"),
                      ("def (:\n", "cannot read")]:
        root = project(dyn, {"my_pkg/__init__.py": init})
        with pytest.raises(backend.ConfigError, match="project.dynamic") as err:
            hook(root, "build_wheel")
        assert why in str(err.value)
    root = project(dyn + '[tool.pkm.build]\nversion-file = "my_pkg/_v.py"\n',
                   {"my_pkg/__init__.py": "", "my_pkg/_v.py": "__version__: str = '3.1'\n"})
    assert hook(root, "build_wheel").name == "my_pkg-3.1-py3-none-any.whl"
