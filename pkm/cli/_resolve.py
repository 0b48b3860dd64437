"""Where the resolver meets the commands: targets from options, failures as explanations, pins for install.

`resolve_pins` is what `pkm install` calls without `--no-deps`: every requirement (with
constraints applied) and the target interpreter in, one `pkm.lock.Pin` per package out,
dependencies included. `pkm resolve` shares `target_from_options` and `explained`.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from pkm.errors import PkmError, UsageError

__all__ = ["explained", "resolve_pins", "target_from_options", "to_pins"]


def target_from_options(python: Optional[str], python_version: Optional[str], platform: Optional[str],
                        home: Any) -> Any:
    """The `pkm.resolver.Target` that `--python`, `--python-version` and `--platform` name.

    `--python EXE|X.Y` finds and probes a real interpreter (`pkm.env.find_interpreter`);
    `--python-version` (with `--platform`) synthesizes one; `--platform` alone pairs this
    interpreter's version with that platform; nothing at all is the interpreter running pkm.
    """
    from pkm.resolver import Target

    if python and python_version:
        raise UsageError("--python and --python-version cannot be combined",
                         hint="pass --python for a real interpreter, or --python-version X.Y (+ --platform) for another machine")
    if python:
        if platform:
            raise UsageError("--platform goes with --python-version, not --python",
                             hint="a real interpreter has its own platform; use --python-version X.Y --platform P")
        from pkm.env import find_interpreter

        return Target.from_interpreter(find_interpreter(python, cache_dir=home / "interpreters-v1"))
    if python_version or platform:
        import sys

        version = python_version or "%d.%d.%d" % sys.version_info[:3]
        return Target.synthesize(version, platform)
    return Target.running()


def explained(error: Any) -> PkmError:
    """A `pkm.resolver.NoResolution` as a PkmError whose `why` is the explanation in sentences."""
    from pkm.ui.report import render_no_solution

    text = render_no_solution(error.failure, root_label=error.root_label, versions=error.known_versions)
    return PkmError(error.what, why=text, hint=error.hints_for(text))


def to_pins(resolution: Any) -> List[Any]:
    """One `pkm.lock.Pin` per resolved project, sorted by name."""
    from pkm.lock import Pin

    pins = []
    for package in resolution.packages:
        artifact = package.artifact
        pins.append(Pin(name=package.name, version=str(package.version), filename=artifact.filename,
                        location=artifact.url, sha256=artifact.sha256, size=artifact.size,
                        kind="wheel" if artifact.is_wheel else "sdist",
                        index=package.index_url or artifact.index_url or None))
    return pins


def resolve_pins(requirements: Sequence[Any], interpreter: Any, index: Any, *, constraints: Sequence[Any] = (),
                 only_binary: bool = False, prereleases: bool = False) -> List[Any]:
    """Pins for `requirements` and all their dependencies, for `interpreter`, from `index`.

    `requirements` and `constraints` are `packaging.requirements.Requirement`s (markers are
    evaluated for the interpreter). Raises PkmError with the explanation when no resolution
    exists. A package with no wheel for the interpreter but a static-metadata sdist pins that
    sdist (kind "sdist"), which the installer refuses until builds exist.
    """
    from pkm.resolver import NoResolution, Options, Target, resolve

    options = Options(prereleases="allow" if prereleases else "if-necessary",
                      only_binary=frozenset({":all:"}) if only_binary else frozenset(),
                      constraints=tuple(constraints))
    try:
        resolution = resolve(list(requirements), index, Target.from_interpreter(interpreter), options)
    except NoResolution as error:
        raise explained(error) from None
    return to_pins(resolution)
