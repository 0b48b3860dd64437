"""Run the user's code as `__main__`, exactly as `python SCRIPT`, `-m MODULE` or `-c CODE` would.

`sys.argv`, `sys.path[0]`, `__main__`, `__file__`, exit codes and tracebacks match
plain python; frames of pkm's own launcher are cut from a traceback, so the user
sees their code first. Returns only on success; otherwise exits like python does.
"""

import os
import sys

__all__ = ["run_code", "run_console_script", "run_module", "run_script"]


def run_script(path, args, source=None):
    """Run the file at `path` with `args` as sys.argv[1:]; `source` is its text if already read."""
    if source is None:
        with open(path, "rb") as f:
            source = f.read()
    sys.argv[:] = [path] + list(args)  # argv[0] as given; __file__ absolute (python >= 3.9)
    filename = os.path.abspath(path)
    sys.path[0] = os.path.dirname(os.path.realpath(path))
    main = _fresh_main(filename)
    _guarded(lambda: exec(compile(source, filename, "exec"), main.__dict__), filename)


def run_code(code, args):
    """Run `code` like `python -c CODE ARGS...`."""
    sys.argv[:] = ["-c"] + list(args)
    sys.path[0] = ""
    main = _fresh_main(None)
    _guarded(lambda: exec(compile(code, "<string>", "exec"), main.__dict__), "<string>")


def run_module(name, args):
    """Run module `name` like `python -m NAME ARGS...` (sys.path[0] is the current directory)."""
    import runpy

    sys.argv[:] = [name] + list(args)  # runpy replaces argv[0] with the module's file
    sys.path[0] = os.getcwd()
    _guarded(lambda: runpy._run_module_as_main(name, alter_argv=True), None)


def run_console_script(name, args, path_fallback=False):
    """Run the console script `name` (an entry point in group `console_scripts`) like its launcher would;
    with `path_fallback`, a name no distribution provides is run from PATH instead (its Python child
    processes still inherit the context), as `pkm run NAME` promises."""
    from importlib.metadata import entry_points

    found = entry_points()
    group = found.select(group="console_scripts") if hasattr(found, "select") else found.get("console_scripts", ())
    match = next((ep for ep in group if ep.name == name), None)
    if match is None and path_fallback:
        import shutil

        found = shutil.which(name)
        if found is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os.execv(found, [name] + list(args))
        sys.stderr.write(f"error: command not found: {name}\n"
                         "hint: not a script, a task, a console script of the context, nor a program on PATH\n")
        raise SystemExit(127)
    if match is None:
        sys.stderr.write(f"error: no console script named {name!r} in this context\n"
                         "hint: check the name (a distribution's scripts are listed in its entry_points.txt)\n")
        raise SystemExit(1)
    sys.argv[:] = [name] + list(args)
    sys.path[0] = os.getcwd()
    _guarded(lambda: sys.exit(match.load()()), None)


def _fresh_main(path):
    import types

    main = types.ModuleType("__main__")
    if path is not None:
        main.__file__ = path
        main.__cached__ = None
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    return main


def _guarded(call, user_file):
    """Call the user's code; print an escaping exception as python would, minus our frames."""
    try:
        call()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the interpreter's own top level, reproduced
        tb = exc.__traceback__
        while tb is not None and not _is_user_frame(tb.tb_frame, user_file):
            tb = tb.tb_next
        _cut_our_tail(tb)
        exc.__traceback__ = tb
        sys.excepthook(type(exc), exc, tb)
        sys.stdout.flush()
        if isinstance(exc, KeyboardInterrupt):
            import signal

            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        raise SystemExit(1)


_OURS = (os.path.dirname(os.path.abspath(__file__)),
         os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pkm", "run"))


def _cut_our_tail(tb):
    """Drop the frames of pkm's own finders at the end (an import that failed inside them)."""
    last_theirs = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (filename.startswith("<frozen") or filename.startswith(_OURS)):
            last_theirs = tb
        tb = tb.tb_next
    if last_theirs is not None:
        last_theirs.tb_next = None


def _is_user_frame(frame, user_file):
    filename = frame.f_code.co_filename
    if user_file is not None:
        return filename == user_file
    return not (filename.startswith("<frozen") or filename.startswith(_OURS) or filename.endswith("runpy.py"))
