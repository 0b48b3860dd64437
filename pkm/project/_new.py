"""The files of a new project: pyproject.toml (pkm's backend), a package, a test, README, .gitignore."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict

__all__ = ["new_project_files", "write_files"]


def new_project_files(name: str, *, app: bool, src: bool) -> Dict[str, str]:
    """Relative path -> content for a project called `name` (a valid distribution name).

    A library exposes `hello()`; an application also has `__main__.py` and a console
    script named after the project. The build backend is pkm's own, required as
    `pkm-tool` (the distribution name; PyPI's `pkm` is another project).
    """
    from packaging.utils import canonicalize_name

    from pkm import __version__

    dist = canonicalize_name(name)
    package = dist.replace("-", "_")
    python = "%d.%d" % sys.version_info[:2]
    base = f"src/{package}" if src else package
    scripts = f'\n[project.scripts]\n{dist} = "{package}.__main__:main"\n' if app else ""
    major_minor = ".".join(__version__.split(".")[:2])
    files = {
        "pyproject.toml": (
            "[build-system]\n"
            f'requires = ["pkm-tool>={major_minor}"]\n'
            'build-backend = "pkm.backend"\n\n'
            "[project]\n"
            f'name = "{dist}"\n'
            'version = "0.1.0"\n'
            f'description = "{"An application" if app else "A library"}"\n'
            'readme = "README.md"\n'
            f'requires-python = ">={python}"\n'
            "dependencies = []\n"
            f"{scripts}\n"
            "[dependency-groups]\n"
            'dev = ["pytest>=8"]\n'
        ),
        f"{base}/__init__.py": f'"""{dist}."""\n\n\ndef hello() -> str:\n    return "Hello from {dist}!"\n',
        f"tests/test_{package}.py": f"from {package} import hello\n\n\ndef test_hello():\n"
                                    f'    assert hello() == "Hello from {dist}!"\n',
        "README.md": f"# {dist}\n",
        ".gitignore": ".venv/\n__pycache__/\n*.pyc\ndist/\n",
    }
    if app:
        files[f"{base}/__main__.py"] = (f"from {package} import hello\n\n\ndef main() -> None:\n    print(hello())\n\n\n"
                                        'if __name__ == "__main__":\n    main()\n')
    return files


def write_files(root: Path, files: Dict[str, str]) -> None:
    for relative, content in sorted(files.items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
