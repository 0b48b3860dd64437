"""A build-requirement provisioner over local wheels, for frontend tests (no resolver, no network)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from packaging.utils import canonicalize_name

__all__ = ["WheelsProvisioner", "sha256_of"]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class WheelsProvisioner:
    """A Provisioner over local wheels by project name: no resolver, no network; records its calls."""

    def __init__(self, store, wheels=None):
        self.store = store
        self.wheels = {canonicalize_name(k): v for k, v in (wheels or {}).items()}
        self.calls = []

    def provision(self, requirements, interpreter, chain):
        self.calls.append(([str(r) for r in requirements], chain))
        trees = []
        for requirement in requirements:
            wheel = self.wheels[canonicalize_name(requirement.name)]
            digest = sha256_of(wheel)
            self.store.add_blob(wheel, digest)
            trees.append(self.store.add_tree(self.store.blob_path(digest), digest))
        return trees
