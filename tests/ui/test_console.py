"""Console output rules: where each kind of message goes, and when progress is drawn."""

from __future__ import annotations

import io
import json

from pkm.errors import PkmError
from pkm.ui import Console, render_error
from pkm.ui.progress import NullProgress, Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_render_error_with_why_and_hint():
    error = PkmError("could not fetch x", why="server said 503\n\nafter 3 attempts", hint="try again later")
    assert render_error(error) == (
        "error: could not fetch x\n  server said 503\n\n  after 3 attempts\nhint: try again later\n"
    )
    assert render_error(PkmError("plain")) == "error: plain\n"


def test_errors_are_coloured_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    tty, pipe = Tty(), io.StringIO()
    Console(stderr=tty).error(PkmError("x", hint="y"))
    Console(stderr=pipe).error(PkmError("x", hint="y"))
    assert "\033[31m" in tty.getvalue()
    assert pipe.getvalue() == "error: x\nhint: y\n"
    monkeypatch.setenv("NO_COLOR", "1")
    tty = Tty()
    Console(stderr=tty).error(PkmError("x"))
    assert tty.getvalue() == "error: x\n"


def test_quiet_verbose_and_results():
    out, err = io.StringIO(), io.StringIO()
    console = Console(stdout=out, stderr=err)
    console.info("working")
    console.detail("hidden detail")
    console.warn("careful")
    console.result("the answer", data={"a": 1})
    assert out.getvalue() == "the answer\n"
    assert err.getvalue() == "working\nwarning: careful\n"

    out, err = io.StringIO(), io.StringIO()
    console = Console(quiet=True, verbose=2, stdout=out, stderr=err)
    console.info("working")
    console.detail("detail")
    console.warn("careful")
    console.result("the answer")
    assert out.getvalue() == "the answer\n" and err.getvalue() == ""

    err = io.StringIO()
    Console(verbose=1, stderr=err).detail("a detail")
    assert err.getvalue() == "a detail\n"


def test_json_results_go_to_stdout_as_json():
    out = io.StringIO()
    Console(format="json", stdout=out).result("ignored text", data={"versions": ["2.0", "1.0"]})
    assert json.loads(out.getvalue()) == {"versions": ["2.0", "1.0"]}


def test_progress_only_on_a_terminal_and_never_quiet_or_json():
    assert isinstance(Console(stderr=io.StringIO()).progress("x", 3), NullProgress)
    assert isinstance(Console(stderr=Tty(), quiet=True).progress("x", 3), NullProgress)
    assert isinstance(Console(stderr=Tty(), format="json").progress("x", 3), NullProgress)
    tty = Tty()
    with Console(stderr=tty).progress("Downloading", 4) as bar:
        assert isinstance(bar, Progress)
        for _ in range(4):
            bar.advance()
    drawn = tty.getvalue()
    assert "Downloading [" in drawn and "4/4" in drawn
    assert drawn.endswith("\r\033[2K")  # the line is cleared when done


def test_progress_in_bytes_and_without_total():
    tty = Tty()
    bar = Progress(tty, "file.whl", None, unit="bytes")
    bar.update(3 * 1024 * 1024, 6 * 1024 * 1024)
    assert "3.0 MiB/6.0 MiB" in tty.getvalue()
    tty = Tty()
    counter = Progress(tty, "pages", None)
    counter.interval = 0
    counter.advance(7)
    assert tty.getvalue().endswith("pages 7")
