"""`pkm index versions` against the loopback index: order, yanked marks, JSON, errors."""

from __future__ import annotations

import json


def test_versions_newest_first_with_yanked_marked(run_pkm, publish, index_server):
    publish("demo-pkg", "1.0")
    publish("demo-pkg", "1.10")
    publish("demo-pkg", "1.2", yanked="broken build")
    publish("demo-pkg", "2.0rc1")
    proc = run_pkm("index", "versions", "Demo_Pkg", "--index-url", index_server.simple_url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "2.0rc1\n1.10\n1.2  (yanked: broken build)\n1.0\n"
    assert proc.stderr == f"demo-pkg: 4 versions on {index_server.simple_url}\n"


def test_versions_as_json(run_pkm, publish, index_server):
    publish("demo-pkg", "1.0", requires_python=">=3.8")
    proc = run_pkm("index", "versions", "demo-pkg", "--format", "json", "--index-url", index_server.simple_url)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "name": "demo-pkg",
        "index": index_server.simple_url,
        "versions": [{"version": "1.0", "yanked": False, "yanked_reason": None,
                      "requires_python": ">=3.8", "files": 1}],
    }


def test_extra_index_is_searched_first_and_wins(run_pkm, dists, index_server, tmp_path):
    from support.index_server import IndexServer

    index_server.add_file(dists.wheel("shared-name", "9.0"))
    with IndexServer() as private:
        private.add_file(dists.wheel("shared-name", "1.0"))
        proc = run_pkm("index", "versions", "shared-name", "--index-url", index_server.simple_url,
                       "--extra-index-url", private.simple_url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1.0\n"  # the private index answers; no mixing with the public 9.0


def test_unknown_package_is_a_clear_failure(run_pkm, index_server):
    proc = run_pkm("index", "versions", "nothing-here", "--index-url", index_server.simple_url)
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: package `nothing-here` was not found\n"
        f"  searched: {index_server.simple_url}\n"
        "hint: check the spelling, or add the index that has it with --extra-index-url\n"
    )


def test_invalid_name_and_missing_action_are_usage_errors(run_pkm, index_server):
    proc = run_pkm("index", "versions", "not/a name", "--index-url", index_server.simple_url)
    assert proc.returncode == 2 and "is not a valid package name" in proc.stderr
    proc = run_pkm("index")
    assert proc.returncode == 2 and proc.stderr.startswith("error: the following arguments are required: ACTION")


def test_offline_uses_the_cache_or_says_what_is_missing(run_pkm, publish, index_server):
    publish("demo-pkg", "1.0")
    assert run_pkm("index", "versions", "demo-pkg", "--index-url", index_server.simple_url).returncode == 0
    index_server.stop()  # the network is gone; the page is cached
    cached = run_pkm("index", "versions", "demo-pkg", "--offline", "--index-url", index_server.simple_url)
    assert (cached.returncode, cached.stdout) == (0, "1.0\n")
    missing = run_pkm("index", "versions", "other-pkg", "--offline", "--index-url", index_server.simple_url)
    assert missing.returncode == 1
    assert "`other-pkg` is not in the cache and the network is off" in missing.stderr
    assert "hint: run once without --offline" in missing.stderr


def test_credentials_never_appear_in_output(run_pkm, dists):
    from support.index_server import IndexServer

    with IndexServer(auth=("user", "s3cret-token")) as server:
        server.add_file(dists.wheel("private-pkg", "1.0"))
        good = server.simple_url.replace("http://", "http://user:s3cret-token@")
        bad = server.simple_url.replace("http://", "http://user:wrong-s3cret@")
        ok = run_pkm("index", "versions", "private-pkg", "--index-url", good)
        denied = run_pkm("index", "versions", "private-pkg", "--index-url", bad)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "1.0\n"
    assert denied.returncode == 1 and "hint:" in denied.stderr
    for proc in (ok, denied):
        assert "s3cret" not in proc.stdout + proc.stderr


def test_index_options_are_accepted_before_the_command_and_the_action(run_pkm, publish, index_server):
    publish("demo-pkg", "1.0")
    url = index_server.simple_url
    assert run_pkm("index", "versions", "demo-pkg", "--index-url", url).returncode == 0
    index_server.stop()
    for args in (("--offline", "--index-url", url, "index", "versions", "demo-pkg"),
                 ("index", "--offline", "--index-url", url, "versions", "demo-pkg"),
                 ("index", "versions", "demo-pkg", "--offline", "--index-url", url)):
        proc = run_pkm(*args)
        assert (proc.returncode, proc.stdout) == (0, "1.0\n"), (args, proc.stderr)


def test_extra_index_urls_from_both_sides_of_the_command_add_up(run_pkm):
    proc = run_pkm("--extra-index-url", "https://a.example/simple/", "config",
                   "--extra-index-url", "https://b.example/simple/")
    assert "https://a.example/simple/ https://b.example/simple/  (--extra-index-url)" in proc.stdout
