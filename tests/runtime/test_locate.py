"""pkm_runtime finds the folders it ships (hooks/, sitecustomize/)."""

from __future__ import annotations

import os

import pytest

import pkm_runtime


def test_locate_finds_the_shipped_folders():
    for name in ("hooks", "sitecustomize"):
        path = pkm_runtime.locate(name)
        assert os.path.isdir(path) and os.path.basename(path) == name
    assert os.path.isfile(pkm_runtime.hook_script("probe"))


def test_locate_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown shipped folder"):
        pkm_runtime.locate("site-packages")
    with pytest.raises(LookupError, match="no hook script 'nope'"):
        pkm_runtime.hook_script("nope")
