"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import os

import pytest

import pkm.cli


@pytest.fixture
def home(tmp_path, monkeypatch):
    """PKM_HOME in a temp dir, `store` registered, no user config; returns the home path."""
    if "store" not in pkm.cli.COMMANDS:
        monkeypatch.setitem(pkm.cli.COMMANDS, "store", ("pkm.cli.store", "Inspect and maintain the store"))
    for key in [k for k in os.environ if k.startswith("PKM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PKM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"
