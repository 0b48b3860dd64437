"""The project's extension methods and patches, made active in the venvs pkm syncs for it.

`pkm sync` writes three files into the venv's site-packages when the project declares
`[tool.pkm.extensions]` or `[tool.pkm.patches]` (and removes them when it no longer does):

    _pkm_extensions.py        a copy of `pkm_runtime/extensions.py` (stdlib only; the venv
                              needs no pkm installed)
    _pkm_extensions_hook.py   `install(...)` with the declarations, as Python literals
    _pkm_extensions.pth       `import _pkm_extensions_hook`: run by `site` at every start

So `python`, `pytest` and every console script of the venv see the same patched
modules as `python -m pkm.run` does. The files are not in any RECORD: they belong to
the environment, like pip's own `.pth` files of editable installs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["write_extension_hook"]

_FILES = ("_pkm_extensions.py", "_pkm_extensions_hook.py", "_pkm_extensions.pth")


def write_extension_hook(project: Any, target: Any) -> bool:
    """Write (or remove) the hook for `project`'s declarations in `target`; True when one is active."""
    from pkm.project.extensions import read_extensions
    from pkm_runtime import extensions as runtime_extensions

    site = Path(target.site_dirs()[0])
    declared = read_extensions(project.path)
    if not (declared.get("extensions") or declared.get("patches")):
        for name in _FILES:
            try:
                (site / name).unlink()
            except FileNotFoundError:
                pass
        return False
    source = Path(runtime_extensions.__file__).read_text(encoding="utf-8")
    hook = (f'"""Written by `pkm sync` from {project.path}: its [tool.pkm.extensions] and [tool.pkm.patches]."""\n'
            "from _pkm_extensions import install\n\n"
            f"install({declared.get('extensions', {})!r}, {declared.get('patches', {})!r}, "
            f"override={bool(declared.get('override'))!r})\n")
    for name, text in zip(_FILES, (source, hook, "import _pkm_extensions_hook\n")):
        path = site / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return True
