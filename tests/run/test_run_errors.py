"""`python -m pkm.run` with bad input: clear errors (exit 2 for bad input, 1 for failures), nothing left behind."""

from __future__ import annotations

import sys


def _script(run, name, block):
    path = run.work / name
    path.write_text(block + "print('ran')\n")
    return name


def test_two_script_blocks(run):
    name = _script(run, "two.py", "# /// script\n# dependencies = []\n# ///\n# /// script\n# dependencies = []\n# ///\n")
    done = run(name)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == ["error: two.py:4: a second `# /// script` block",
                                        "hint: merge the two blocks into one"]
    name = _script(run, "apart.py", "# /// script\n# dependencies = []\n# ///\nimport os\n"
                                    "# /// script\n# dependencies = []\n# ///\n")
    done = run(name)
    assert done.returncode == 2 and done.stderr.startswith("error: apart.py:5: a second `# /// script` block")


def test_an_unclosed_block(run):
    name = _script(run, "open.py", "# /// script\n# dependencies = []\nimport os\n")
    done = run(name)
    assert done.returncode == 2 and "open.py:1: the `# /// script` block is never closed" in done.stderr
    assert "hint: end the block with a line `# ///`" in done.stderr


def test_invalid_toml_in_the_block(run):
    name = _script(run, "bad.py", "# /// script\n# dependencies = [\n# ///\n")
    done = run(name)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: ") and "bad.py" in done.stderr and "\nhint: " in done.stderr
    assert run.manifests() == []


def test_a_bad_requirement_in_the_block(run):
    name = _script(run, "req.py", '# /// script\n# dependencies = ["rich >>> 1"]\n# ///\n')
    done = run(name)
    assert done.returncode == 2 and "invalid requirement `rich >>> 1`" in done.stderr


def test_requires_python_mismatch(run):
    name = _script(run, "py.py", '# /// script\n# requires-python = ">=3.99"\n# dependencies = []\n# ///\n')
    done = run(name)
    assert (done.returncode, done.stdout) == (1, "")
    running = "%d.%d.%d" % sys.version_info[:3]
    assert f"requires Python >=3.99; this is Python {running}" in done.stderr


def test_an_unsatisfiable_block_is_explained(run, publish):
    publish("app", "1.0", dependencies=["lib>=2"])
    publish("lib", "1.0")
    name = _script(run, "u.py", '# /// script\n# dependencies = ["app"]\n# ///\n')
    done = run(name)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[:3] == [
        "error: no set of versions satisfies the requirements",
        "  Because every version of app depends on lib>=2 and there is no version of lib>=2, "
        "no version of app can be used.",
        "  And because you require any version of app, the requirements are unsatisfiable."]
    assert run.manifests() == []


def test_a_package_that_does_not_exist(run):
    name = _script(run, "nx.py", '# /// script\n# dependencies = ["no-such-thing"]\n# ///\n')
    done = run(name)
    assert done.returncode == 1 and "no-such-thing" in done.stderr and "Traceback" not in done.stderr


def test_offline_with_an_empty_store(run, publish):
    publish("lib", "1.0")
    name = _script(run, "off.py", '# /// script\n# dependencies = ["lib"]\n# ///\n')
    done = run("--offline", name)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "hint: " in done.stderr


def test_a_corrupt_manifest_is_rebuilt(run, publish):
    publish("lib", "1.0", files={"lib.py": "x = 1\n"})
    name = _script(run, "c.py", '# /// script\n# dependencies = ["lib"]\n# ///\nimport lib\n')
    assert run(name).returncode == 0
    [manifest] = run.manifests()
    binary = manifest.with_suffix(".bin")
    binary.write_bytes(b"\x00garbage")  # the warm path's copy: falls back to the JSON
    done = run(name)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", "")
    manifest.write_text("{not json")  # both unreadable: a cold start rebuilds them
    binary.write_bytes(b"\x00garbage")
    done = run(name)
    assert (done.returncode, done.stdout) == (0, "ran\n"), done.stderr
    assert manifest.read_text().startswith("{") and binary.read_bytes() != b"\x00garbage"
