"""The PEP 517 build frontend: isolated, cached build environments, hook calls in a subprocess, a build cache.

    frontend = Frontend(store, interpreter, provisioner)
    wheel = frontend.build(Path("proj"), "wheel", Path("dist"), {"key": "value"})
    wheel = frontend.wheel_from_sdist(sdist, sdist_sha256)          # cached in builds-v1/

pkm.build does not resolve: a `Provisioner` (passed in by the command layer) turns build
requirements into store trees, which a throwaway venv makes importable through one `.pth` file
(`_env`). Hooks run through the stdlib-only `hooks/pep517.py` (`_hooks`); sdists are extracted with
tar data-filter checks first (`_sdist`); `[build-system]` is read by `_system`; pkm's own backend
is served in-process when the running pkm is that backend (`_inprocess`).
"""

from __future__ import annotations

from ._cache import BUCKET as BUILD_BUCKET
from ._env import ENV_BUCKET, BuildEnv, BuildEnvs, Provisioner
from ._frontend import KINDS, LOG_BUCKET, BuildCycleError, Frontend, build_wheel_from_sdist
from ._hooks import BuildFailed
from ._inprocess import serves_in_process
from ._sdist import check_tar_members, extract_sdist
from ._system import LEGACY_BACKEND, LEGACY_REQUIRES, BuildSystem, read_build_system

__all__ = [
    "BUILD_BUCKET",
    "ENV_BUCKET",
    "LOG_BUCKET",
    "KINDS",
    "BuildCycleError",
    "BuildEnv",
    "BuildEnvs",
    "BuildFailed",
    "BuildSystem",
    "Frontend",
    "LEGACY_BACKEND",
    "LEGACY_REQUIRES",
    "Provisioner",
    "build_wheel_from_sdist",
    "check_tar_members",
    "extract_sdist",
    "read_build_system",
    "serves_in_process",
]
