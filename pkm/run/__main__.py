"""python -m pkm.run [OPTIONS] (SCRIPT | -m MODULE | -c CODE | --console-script NAME) [ARGS...]

Run a script with its dependencies (its PEP 723 block, else the enclosing
project's, else none), fetched once into pkm's store and imported from there:
no virtual environment, no install step. An import that nothing provides is
resolved on demand (from the script's own code only) and recorded.

options:
  --with REQ         add a requirement to the context (repeatable)
  --offline          never touch the network (use what the store has)
  --refresh          resolve the context again, ignoring its manifest
  --no-on-demand     do not resolve missing imports on demand
  --allow-unknown    on demand, try an unknown import name as a distribution name
  --isolated         ignore the enclosing project: the context is the --with
                     requirements alone (what `pkm x` uses)
  --console-script NAME
                     run the console script NAME of a distribution in the context
  --command NAME     the same, falling back to the program NAME on PATH
  -h, --help         show this help

Options come before SCRIPT / -m / -c / --console-script; everything after
belongs to the script.
"""

import os
import sys

# The directory holding the `pkm` package, for the child process's PYTHONPATH (known before the
# script starts: `pkm` is dropped from sys.modules then).
_PKM_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_FLAGS = ("--offline", "--refresh", "--no-on-demand", "--allow-unknown", "--isolated")


class _Usage(Exception):
    pass


def _parse(argv):
    options = {"with": [], "target": None, "args": []}
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in ("-h", "--help"):
            sys.stdout.write(__doc__)
            raise SystemExit(0)
        if arg in _FLAGS:
            options[arg[2:]] = True
        elif arg == "--with" or arg.startswith("--with="):
            if arg == "--with":
                index += 1
                if index == len(argv):
                    raise _Usage("--with needs a requirement")
                value = argv[index]
            else:
                value = arg[len("--with="):]
            options["with"].append(value)
        elif arg in ("-m", "-c", "--console-script", "--command"):
            if index + 1 == len(argv):
                raise _Usage(f"{arg} needs an argument")
            options["target"] = (arg, argv[index + 1])
            options["args"] = argv[index + 2:]
            return options
        elif arg.startswith("-") and arg != "-":
            raise _Usage(f"unknown option {arg}")
        else:
            options["target"] = ("script", arg)
            options["args"] = argv[index + 1:]
            return options
        index += 1
    raise _Usage("nothing to run")


def _fail(what, hint, code):
    sys.stderr.write(f"error: {what}\nhint: {hint}\n")
    raise SystemExit(code)


def main(argv=None):
    from pkm_runtime import context, manifest

    try:
        options = _parse(sys.argv[1:] if argv is None else argv)
    except _Usage as exc:
        _fail(str(exc), "python -m pkm.run [--with REQ] [--offline] (SCRIPT | -m MODULE | -c CODE) [ARGS...]", 2)
    kind, value = options["target"]
    source = None
    if kind == "script":
        try:
            with open(value, "rb") as f:
                source = f.read()
        except OSError as exc:
            _fail(f"cannot open the script {value}: {exc.strerror}", "check the path", 2)
    try:
        text = source.decode("utf-8", "surrogateescape") if source is not None else None
        if options.get("isolated"):
            found = context.Context("none", "--isolated", "", context.context_key("isolated", *options["with"]))
        else:
            found = context.find_context(value if kind == "script" else None, text, extra=options["with"])
    except context.MetadataError as exc:
        _fail(f"{exc.path}:{exc.line}: {exc.what}", exc.hint, 2)
    except OSError as exc:
        _fail(f"cannot read the context of {value}: {exc}", "check the file permissions", 1)
    # -c / -m outside a project: never persisted (unrelated runs must not share on-demand state)
    throwaway = found.kind == "none" and kind != "script" and not options.get("isolated")
    path = manifest.manifest_path(context.home(), found.key)
    data = None
    if not throwaway and not options.get("refresh"):
        try:
            data = manifest.read(path)
        except manifest.ManifestError:
            data = None
        if data is not None and not manifest.usable(data, context.interpreter_id()):
            data = None
    if data is None:
        if found.kind == "none" and not options["with"] and not options.get("refresh") and not os.path.exists(path):
            # nothing to resolve until an import asks: an empty manifest, written by the first on-demand import
            data = {"interpreter": context.interpreter_id(), "context": {"kind": found.kind, "path": found.path},
                    "distributions": [], "paths": [], "pth_imports": [], "on_demand": "known", "extensions": {}}
        else:
            data = _prepare(found, path, options, throwaway)
    run = _Runner(found, path, options, throwaway, data)
    run.start(kind, value, options["args"], source)


class _Runner:
    """Activates the manifest and runs the target; owns the on-demand callback."""

    def __init__(self, found, path, options, throwaway, data):
        self.found, self.path, self.options, self.throwaway, self.data = found, path, options, throwaway, data

    def start(self, kind, value, args, source):
        from pkm_runtime import activate, launch

        policy = "off" if self.options.get("no-on-demand") else self.data.get("on_demand", "known")
        if self.options.get("allow-unknown") and policy != "off":
            policy = "any"
        self.policy = policy
        exported = None if self.throwaway else self.path
        activate.deactivate()  # a parent's context, inherited through sitecustomize, gives way to ours
        try:
            activate.activate(self.data, exported, on_demand=self.on_demand if policy != "off" else None)
        except ImportError as exc:  # a declared extension or patch that cannot apply
            _fail(str(exc), "fix the entry in [tool.pkm.extensions] or [tool.pkm.patches] of pyproject.toml", 1)
        _forget_pkm()
        if kind == "script":
            launch.run_script(value, args, source)
        elif kind == "-m":
            launch.run_module(value, args)
        elif kind == "--console-script":
            launch.run_console_script(value, args)
        elif kind == "--command":
            launch.run_console_script(value, args, path_fallback=True)
        else:
            launch.run_code(value, args)

    def on_demand(self, name):
        """Manifest entries providing import `name`, added by the cold path; ModuleNotFoundError if none."""
        result = _child({"action": "add", "name": name, "policy": self.policy, "context": _describe(self.found),
                         "manifest": self.path, "persist": not self.throwaway, "current": self.data,
                         "with": self.options["with"], "offline": bool(self.options.get("offline"))})
        if "error" in result:
            raise ModuleNotFoundError(f"No module named {name!r}\n{result['error'].rstrip()}", name=name)
        self.data = result["manifest"]
        if self.data.get("view"):  # the added distributions need their siblings: all of them in one directory
            from pkm_runtime.activate import use_view

            use_view(self.data["view"])
        sys.stderr.write(result.get("message", ""))
        return result.get("added", [])


def _describe(found):
    return {"kind": found.kind, "path": found.path, "key": found.key}


def _prepare(found, path, options, throwaway):
    """Resolve and materialize the context in a child process; the manifest it wrote."""
    result = _child({"action": "prepare", "context": _describe(found), "manifest": path, "persist": not throwaway,
                     "with": options["with"], "offline": bool(options.get("offline"))})
    if "error" in result:
        sys.stderr.write(result["error"])
        raise SystemExit(result.get("code", 1))
    return result["manifest"]


def _child(request):
    """Run `pkm.run._prepare` in a fresh interpreter with `request`; its JSON answer."""
    import json
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PKM_RUNTIME_MANIFEST"}
    here = _PKM_PARENT  # not `import pkm` here: once the script runs, that would be a host import
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and not p.endswith("sitecustomize")]
    env["PYTHONPATH"] = os.pathsep.join([here] + paths)
    # Not waited for: once it has answered (end of its stdout), the child goes on compiling the
    # new trees' bytecode in the background while the script runs.
    proc = subprocess.Popen([sys.executable, "-m", "pkm.run._prepare"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    proc.stdin.write(json.dumps(request).encode("utf-8"))
    proc.stdin.close()
    answer = proc.stdout.read()
    proc.stdout.close()
    try:
        return json.loads(answer.decode("utf-8"))
    except ValueError:
        return {"error": f"error: pkm's cold path failed (exit {proc.wait()})\n"
                         "hint: run again with PKM_DEBUG=1 to see why\n", "code": 1}


def _forget_pkm():
    """Drop pkm's own modules, so a script that imports `pkm` (or a context's) gets a fresh one."""
    for name in [n for n in sys.modules if n == "pkm" or n.startswith("pkm.")]:
        del sys.modules[name]


if __name__ == "__main__":
    main()
