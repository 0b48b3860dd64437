"""Virtual environments: creating one (no ensurepip, no subprocess) and reading an existing one."""

from __future__ import annotations

import os
from collections import namedtuple

from pkm.env._activate import activation_scripts
from pkm.errors import NotFoundError, PkmError

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from pathlib import Path

    from pkm.env.interpreter import Interpreter

__all__ = ["Venv", "create_venv", "is_venv", "read_venv", "site_packages_dir"]


def is_venv(path: str | os.PathLike[str]) -> bool:
    """True if `path` is a directory holding a `pyvenv.cfg` (PEP 405's marker)."""
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


class Venv(namedtuple("Venv", "path home version include_system_site_packages prompt")):
    """An existing virtual environment, as its `pyvenv.cfg` and layout describe it (no subprocess).

    `path` is its absolute `Path`; `home`, `version` and `prompt` are pyvenv.cfg's strings
    (None when missing); `include_system_site_packages` a bool.
    """

    __slots__ = ()

    @property
    def python(self) -> Path:
        """`bin/python` of the venv."""
        return self.path / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.path / "bin"

    @property
    def site_packages(self) -> Path:
        """The venv's site-packages (`lib/<python3.X>/site-packages`); the version in pyvenv.cfg picks it."""
        found = sorted(self.path.glob("lib/*/site-packages"))
        if self.version and found:
            short = ".".join(self.version.split(".")[:2])
            exact = [p for p in found if p.parent.name.endswith(short) or p.parent.name.endswith(short + "t")]
            if exact:
                return exact[0]
        if found:
            return found[0]
        raise NotFoundError(f"the virtual environment {self.path} has no site-packages directory",
                            hint=f"recreate it: pkm venv --clear {self.path}")


def _parse_cfg(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def read_venv(path: str | os.PathLike[str]) -> Venv:
    """The venv at `path`; NotFoundError if there is none (with the `pkm venv` hint)."""
    from pathlib import Path

    path = Path(path).absolute()
    try:
        cfg = _parse_cfg((path / "pyvenv.cfg").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"{path} is not a virtual environment", why="it has no pyvenv.cfg",
                            hint=f"create one: pkm venv {path}") from None
    except OSError as exc:
        raise PkmError(f"cannot read {path / 'pyvenv.cfg'}", why=str(exc), hint="check the permissions") from None
    prompt = cfg.get("prompt")
    if prompt and len(prompt) >= 2 and prompt[0] == prompt[-1] and prompt[0] in "'\"":
        try:  # CPython writes repr(prompt); other tools write it bare
            import ast

            prompt = str(ast.literal_eval(prompt))
        except (ValueError, SyntaxError):
            pass
    return Venv(path=path, home=cfg.get("home"), version=cfg.get("version") or cfg.get("version_info"),
                include_system_site_packages=cfg.get("include-system-site-packages", "false").lower() == "true",
                prompt=prompt)


def site_packages_dir(interpreter: Interpreter) -> str:
    """Where a venv of `interpreter` keeps its packages, relative to the venv (CPython's posix_venv scheme)."""
    short = interpreter.python_version
    if interpreter.implementation == "pypy":
        return f"lib/pypy{short}/site-packages"
    return f"lib/python{short}{'t' if interpreter.gil_disabled else ''}/site-packages"


def _clear(path: str) -> None:
    # Empty the directory but keep it: it may be a mount point or have permissions the user chose.
    for name in os.listdir(path):
        child = os.path.join(path, name)
        if os.path.isdir(child) and not os.path.islink(child):
            import shutil

            shutil.rmtree(child)
        else:
            os.unlink(child)


def _symlink(target: str, link: str) -> None:
    try:
        os.symlink(target, link)
    except FileExistsError:
        # Re-running on a venv refreshes it in place: swap the old link for the new one atomically.
        head, name = os.path.split(link)
        tmp = os.path.join(head, f".{name}.pkm-tmp")
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.replace(tmp, link)


def _write(path: str, text: str) -> None:
    # Plain files with the user's umask, as CPython's venv writes them; one open per file.
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _check_target(path: str, interpreter: Interpreter, clear: bool) -> None:
    if os.path.islink(path) and not os.path.exists(path):
        raise PkmError(f"cannot create a virtual environment at {path}", why="it is a broken symbolic link",
                       hint="remove it, or choose another path")
    if os.path.exists(path) and not os.path.isdir(path):
        raise PkmError(f"cannot create a virtual environment at {path}", why="a file of that name exists",
                       hint="remove it, or choose another path")
    if not os.path.isdir(path) or not os.listdir(path):
        return
    if not is_venv(path):
        raise PkmError(f"refusing to create a virtual environment in {path}",
                       why="the directory is not empty and is not a virtual environment (no pyvenv.cfg)",
                       hint="choose another path, or empty that directory first")
    if clear:
        return
    old = read_venv(path).version or ""
    if old.split(".")[:2] != interpreter.python_version.split("."):
        raise PkmError(f"the virtual environment {path} is for Python {old or '(unknown)'}, "
                       f"not {interpreter.python_version}",
                       why="its installed packages belong to the other version",
                       hint=f"recreate it with --clear: pkm venv --clear {path}")


def _pyvenv_cfg(path: str, interpreter: Interpreter, base: str, prompt: str | None,
                system_site_packages: bool) -> str:
    from pkm import __version__

    # Keys as CPython's venv writes them, plus `pkm` (as uv adds `uv`) to say who made it.
    command = [base, "-m", "venv", "--without-pip"]
    if system_site_packages:
        command.append("--system-site-packages")
    if prompt is not None:
        command += ["--prompt", prompt]
    command.append(path)
    import shlex

    lines = [
        f"home = {os.path.dirname(base)}",
        f"include-system-site-packages = {'true' if system_site_packages else 'false'}",
        f"version = {interpreter.version_str}",
    ]
    if prompt is not None:
        lines.append(f"prompt = {prompt!r}")
    lines += [
        f"executable = {os.path.realpath(base)}",
        f"command = {' '.join(shlex.quote(part) for part in command)}",
        f"pkm = {__version__}",
    ]
    return "\n".join(lines) + "\n"


def create_venv(
    path: str | os.PathLike[str],
    interpreter: Interpreter,
    *,
    prompt: str | None = None,
    system_site_packages: bool = False,
    clear: bool = False,
) -> str:
    """Create a standard virtual environment at `path` for `interpreter`; returns its absolute path.

    The layout is CPython's `python -m venv --without-pip`: pyvenv.cfg,
    `bin/python` linked to the base interpreter (through an existing venv to
    its base), `python3` and `python3.X` linked to it, site-packages, `lib64`
    where CPython makes one, activation scripts for bash/zsh, fish, csh and
    PowerShell, and a `.gitignore` of `*`. No interpreter is started: the
    cost is a few dozen file operations.

    An empty or missing directory is used as is. An existing venv is refreshed
    in place (its packages kept) when it is for the same Python minor
    version; `clear=True` empties it first, like `python -m venv --clear`.
    A non-empty directory that is not a venv is never touched (PkmError).
    `prompt=None` shows the directory's name; `"."` the current directory's.
    """
    path = os.path.abspath(os.path.expanduser(path))
    _check_target(path, interpreter, clear)
    base = interpreter.base_executable()
    shown = prompt if prompt not in (None, ".") else os.path.basename(os.getcwd() if prompt == "." else path)
    try:
        scripts = activation_scripts(path, shown)
    except ValueError as exc:
        raise PkmError(f"cannot create a virtual environment at {str(path)!r}", why=str(exc),
                       hint="choose a path and a prompt without line breaks") from None
    try:
        if clear and os.path.isdir(path):
            _clear(path)
        os.makedirs(path, exist_ok=True)
        # pyvenv.cfg first: a creation cut short is still recognised as a venv and can be redone.
        _write(os.path.join(path, "pyvenv.cfg"),
               _pyvenv_cfg(path, interpreter, base, None if prompt is None else shown, system_site_packages))
        bin_dir = os.path.join(path, "bin")
        os.makedirs(bin_dir, exist_ok=True)
        _symlink(base, os.path.join(bin_dir, "python"))
        for name in ("python3", f"python{interpreter.python_version}"):
            _symlink("python", os.path.join(bin_dir, name))
        os.makedirs(os.path.join(path, site_packages_dir(interpreter)), exist_ok=True)
        os.makedirs(os.path.join(path, "include"), exist_ok=True)
        lib64 = os.path.join(path, "lib64")
        if interpreter.pointer_bits == 64 and interpreter.marker_env.get("sys_platform") != "darwin" \
                and os.name == "posix" and not os.path.lexists(lib64):
            os.symlink("lib", lib64)
        for name, text in scripts.items():
            _write(os.path.join(bin_dir, name), text)
        gitignore = os.path.join(path, ".gitignore")
        if not os.path.exists(gitignore):
            _write(gitignore, "# Created by pkm: a virtual environment is not source code.\n*\n")
    except OSError as exc:
        raise PkmError(f"cannot create the virtual environment at {path}", why=str(exc),
                       hint="check the permissions and free space of that directory") from None
    return path
