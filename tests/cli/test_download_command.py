"""`pkm download` against the loopback index: best artifact, hash-verified, clear failures."""

from __future__ import annotations

import hashlib
import json

from pkm.ui import format_bytes


def test_downloads_the_newest_matching_wheel(run_pkm, publish, index_server, tmp_path):
    publish("demo-pkg", "1.0")
    publish("demo-pkg", "1.5")
    publish("demo-pkg", "2.0")
    publish("other", "0.1", sdist=True)
    proc = run_pkm("download", "demo-pkg<2", "other", "-d", "out", "--no-deps", "--index-url", index_server.simple_url)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["demo_pkg-1.5-py3-none-any.whl", "other-0.1.tar.gz"]
    assert proc.stdout.splitlines() == [
        f"Saved out/demo_pkg-1.5-py3-none-any.whl ({format_bytes((out / 'demo_pkg-1.5-py3-none-any.whl').stat().st_size)})",
        f"Saved out/other-0.1.tar.gz ({format_bytes((out / 'other-0.1.tar.gz').stat().st_size)})",
    ]
    assert proc.stderr == ""  # --no-deps: no warning; not a TTY: no progress bar


def test_second_download_is_not_repeated_and_json_reports_hashes(run_pkm, publish, index_server, tmp_path):
    publish("demo-pkg", "1.0")
    args = ("download", "demo-pkg", "-d", "out", "--no-deps", "--index-url", index_server.simple_url)
    assert run_pkm(*args).returncode == 0
    files_before = len([h for h in index_server.log if h.path.startswith("/files/")])
    again = run_pkm(*args, "--format", "json")
    assert again.returncode == 0, again.stderr
    [row] = json.loads(again.stdout)
    path = tmp_path / "out" / "demo_pkg-1.0-py3-none-any.whl"
    assert row == {"name": "demo-pkg", "version": "1.0", "file": str(path),
                   "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert len([h for h in index_server.log if h.path.startswith("/files/")]) == files_before


def test_binary_choices_and_yanked(run_pkm, publish, index_server, tmp_path):
    publish("demo-pkg", "1.0")
    publish("demo-pkg", "1.0", sdist=True)
    publish("demo-pkg", "1.1", yanked="oops")
    common = ("-d", "out", "--no-deps", "--index-url", index_server.simple_url)
    assert run_pkm("download", "demo-pkg", "--no-binary", *common).returncode == 0
    assert run_pkm("download", "demo-pkg==1.1", *common).returncode == 0  # an exact pin takes a yanked version
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "demo_pkg-1.0.tar.gz", "demo_pkg-1.1-py3-none-any.whl"]


def test_nothing_fits(run_pkm, publish, index_server):
    publish("demo-pkg", "1.0", tag="cp27-cp27m-win32")
    common = ("--no-deps", "--index-url", index_server.simple_url)
    proc = run_pkm("download", "demo-pkg>=2", *common)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no version of `demo-pkg` matches `>=2`\n  demo-pkg has 1.0 on ")
    proc = run_pkm("download", "demo-pkg", *common)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no artifact of `demo-pkg` fits this interpreter\n")
    assert "versions in range: 1.0" in proc.stderr


def test_bad_requirements_fail_before_any_download(run_pkm, publish, index_server, tmp_path):
    publish("demo-pkg", "1.0")
    proc = run_pkm("download", "demo-pkg", "bad>=", "-d", "out", "--index-url", index_server.simple_url)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: invalid requirement `bad>=`\n")
    assert not (tmp_path / "out").exists()
    proc = run_pkm("download", "x @ https://example.org/x.whl", "--index-url", index_server.simple_url)
    assert proc.returncode == 2 and "is a direct URL" in proc.stderr


def test_a_corrupted_file_is_refused_and_not_saved(run_pkm, dists, index_server, tmp_path):
    from support.server import Resource

    wheel = dists.wheel("demo-pkg", "1.0")
    index_server.add_file(wheel)
    # The index lists the original hash; the file server now sends other bytes of the same length.
    corrupted = bytearray(wheel.read_bytes())
    corrupted[len(corrupted) // 2] ^= 0xFF
    index_server.add(f"/files/{wheel.name}", Resource(bytes(corrupted)))
    proc = run_pkm("download", "demo-pkg", "-d", "out", "--no-deps", "--index-url", index_server.simple_url)
    assert proc.returncode == 1
    assert "sha256" in proc.stderr and "Traceback" not in proc.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_without_no_deps_it_says_dependencies_are_not_followed(run_pkm, publish, index_server):
    publish("demo-pkg", "1.0", dependencies=["other>=1"])
    proc = run_pkm("download", "demo-pkg", "-d", "out", "--index-url", index_server.simple_url)
    assert proc.returncode == 0
    assert proc.stderr.startswith("warning: dependencies are not downloaded yet")
