"""Usage errors of the commands added for projects and dependencies: exit 2, what and a hint, nothing changed."""

from __future__ import annotations


def test_usage_errors_say_what_and_how(pkm, publish, index_server):
    url = publish("lib", "1.0", files={"lib.py": ""})
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["lib"]\n'
                                            '[project.optional-dependencies]\nfast = ["lib"]\n')
    assert pkm("venv", "env")[0] == 0
    cases = [
        (("install", "--no-deps", f"lib @ {url}", "--env", "env"), "--no-deps takes requirements from an index"),
        (("sync", "--lock", "pylock.toml"), "--lock needs --env PATH"),
        (("sync", "--extra", "nope"), "p has no extra `nope`"),
        (("lock", "--env-name", "nope"), "p has no environment `nope`"),
        (("add", "lib", "--script", "tool.py", "--group", "dev"), None),
    ]
    for args, message in cases:
        code, out, err = pkm(*args)
        assert code == 2 and out == "", (args, err)
        assert message is None or message in err, (args, err)
        assert "hint:" in err or "usage:" in err
    assert not (pkm.work / ".venv").exists() and not (pkm.work / "pylock.toml").exists()


def test_remove_from_a_script_that_lacks_the_package(pkm):
    script = pkm.work / "tool.py"
    script.write_text('# /// script\n# dependencies = ["rich"]\n# ///\n')
    code, out, err = pkm("remove", "attrs", "--script", "tool.py")
    assert (code, out) == (1, "") and "attrs is not in the `# /// script` block of tool.py" in err
    assert script.read_text() == '# /// script\n# dependencies = ["rich"]\n# ///\n'
