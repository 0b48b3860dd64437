"""Rendering locks: PEP 751 keys that must be there even when empty."""

from __future__ import annotations


def test_a_lock_of_nothing_still_has_packages_and_reads_back():
    from pkm.lock import make_lock, parse_lock, render_lock

    text = render_lock(make_lock([], environments=['python_version == "3.11"'], requires_python="==3.11.*"))
    assert "packages = []" in text.splitlines()
    assert list(parse_lock(text).packages) == []
