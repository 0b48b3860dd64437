"""pkm's runtime layer: standard library only, never imports pkm.

It ships the scripts that run inside other interpreters (`hooks/`) and the
`sitecustomize/` folder that child processes get on PYTHONPATH. In a wheel
they live inside this package (so pkm claims no generic top-level names in
site-packages); in a source checkout they sit beside it.
"""

import os

__all__ = ["locate", "hook_script"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_SHIPPED = ("hooks", "sitecustomize")


def locate(name: str) -> str:
    """The directory of a shipped folder, `"hooks"` or `"sitecustomize"`.

    Raises LookupError if the installation is incomplete (the folder is
    missing both inside the package and beside it).
    """
    if name not in _SHIPPED:
        raise ValueError(f"unknown shipped folder {name!r}; expected one of {_SHIPPED}")
    for candidate in (os.path.join(_HERE, name), os.path.join(os.path.dirname(_HERE), name)):
        if os.path.isdir(candidate):
            return candidate
    raise LookupError(f"pkm_runtime: the {name}/ folder is missing from {_HERE}; reinstall pkm-tool")


def hook_script(name: str) -> str:
    """The path of the stdlib-only script `hooks/<name>.py`, to run with another interpreter."""
    path = os.path.join(locate("hooks"), name + ".py")
    if not os.path.isfile(path):
        raise LookupError(f"pkm_runtime: no hook script {name!r} in {os.path.dirname(path)}")
    return path
