"""Project-declared extension methods and patches, applied by post-import hooks.

`[tool.pkm.extensions]` adds functions to classes (or other objects) of a
module, `[tool.pkm.patches]` calls functions with a module object; both
happen when the target module finishes importing, or at once when it is
already imported. This module is the one place that knows the spec format:
pkm checks projects with `validate`/`iter_problems`, the runtime applies
manifests with `install`.

Standard library only, imported at interpreter start-up: it imports `sys` and
`_thread` at module level and nothing else until a hook fires (not even
`__future__`: annotations that 3.9 cannot evaluate are quoted).
"""

import _thread
import sys

__all__ = ["ExtensionError", "install", "validate", "iter_problems", "parse_target", "parse_spec"]

_FORMAT_HINT = 'write "module:function" or "name=module:function", e.g. "myext:as_percent"'


class ExtensionError(ImportError):
    """An extension or patch could not be applied; raised by the import of its target.

    An ImportError so that the import statement that triggered the hook is
    the one that fails; the message names the spec and the target.
    """


# ---------------------------------------------------------------- the format


def _dotted(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def parse_target(target: str) -> tuple[str, str]:
    """(module, qualified name) of an extension TARGET; ValueError says what is wrong.

    "rich.text.Text" -> ("rich.text", "Text"); "pkg.mod:Outer.Inner" -> ("pkg.mod", "Outer.Inner").
    """
    if not isinstance(target, str):
        raise ValueError(f"the target must be a string, not {type(target).__name__}")
    module, colon, qualname = target.strip().partition(":")
    if not colon:
        module, _, qualname = module.rpartition(".")
        if not module:
            raise ValueError(f"{target!r} names no module; write module.Class (e.g. fractions.Fraction)"
                             " or module:Qual.Name")
    if not _dotted(module.strip()) or not _dotted(qualname.strip()):
        raise ValueError(f"{target!r} is not module.Class or module:Qual.Name")
    return module.strip(), qualname.strip()


def parse_spec(spec: str, *, rename: bool = True) -> "tuple[str | None, str, str]":
    """(new name or None, module, function qualname) of "[name=]module:function".

    `rename=False` (patches) refuses the "name=" form. ValueError says what is wrong.
    """
    if not isinstance(spec, str):
        raise ValueError(f"a spec must be a string, not {type(spec).__name__}")
    name, equals, rest = spec.partition("=")
    if not equals:
        name, rest = None, spec
    else:
        name = name.strip()
        if not rename:
            raise ValueError(f"{spec!r}: a patch is called, not stored under a name; write module:function")
        if not name.isidentifier():
            raise ValueError(f"{spec!r}: {name!r} is not a valid attribute name")
        import keyword  # small; only reached for the rename form

        if keyword.iskeyword(name):
            raise ValueError(f"{spec!r}: {name!r} is a Python keyword")
    module, colon, function = rest.strip().partition(":")
    if not colon or not _dotted(module.strip()) or not _dotted(function.strip()):
        raise ValueError(f"{spec!r} is not [name=]module:function" if rename else f"{spec!r} is not module:function")
    return name, module.strip(), function.strip()


def iter_problems(extensions: object, patches: object):
    """Yield (table, key, problem) for every format error; table is "extensions" or "patches".

    `key` is the TARGET or MODULE concerned, or None when the table itself is
    wrong. Pure: imports nothing, looks nothing up.
    """
    for table, value in (("extensions", extensions), ("patches", patches)):
        if not isinstance(value, dict):
            yield table, None, f"must be a table of {'TARGET' if table == 'extensions' else 'MODULE'} = [specs]"
            continue
        for key, specs in value.items():
            try:
                if table == "extensions":
                    parse_target(key)
                elif not _dotted(str(key).strip()):
                    raise ValueError(f"{key!r} is not a module name")
            except ValueError as exc:
                yield table, key, str(exc)
                continue
            if not isinstance(specs, list):
                yield table, key, f"must be a list of strings, not {type(specs).__name__}"
                continue
            for spec in specs:
                try:
                    parse_spec(spec, rename=table == "extensions")
                except ValueError as exc:
                    yield table, key, str(exc)


def validate(extensions: object, patches: object) -> list[str]:
    """Every format problem as one line (empty when both tables are well formed)."""
    return [f"[tool.pkm.{table}]" + (f" {key!r}" if key is not None else "") + f": {problem}"
            for table, key, problem in iter_problems(extensions, patches)]


# ------------------------------------------------------------------ actions


class _Action:
    """One spec bound to one target: what to apply and how to say it failed."""

    __slots__ = ("key", "module", "qualname", "name", "provider", "function", "override", "spec", "target")

    def __init__(self, table, target, spec, module, qualname, name, provider, function, override):
        self.key = (table, target, spec)
        self.module, self.qualname, self.name = module, qualname, name
        self.provider, self.function, self.override = provider, function, override
        self.spec, self.target = spec, target

    def fail(self, why: str, cause: "BaseException | None" = None) -> ExtensionError:
        table = "extensions" if self.qualname is not None else "patches"
        kind = "extension" if self.qualname is not None else "patch"
        error = ExtensionError(f"{kind} {self.spec!r} for {self.target!r} ([tool.pkm.{table}]) failed: {why}",
                               name=self.module)
        if cause is not None:  # an error in the user's code: show its traceback, from their first frame
            tb = cause.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
                tb = tb.tb_next
            error.__cause__ = cause.with_traceback(tb)
        error.__suppress_context__ = True  # our own lookups are not worth a traceback
        return error

    def _resolve(self):
        import importlib  # lazily: most interpreters never fire a hook

        try:
            obj = importlib.import_module(self.provider)
        except Exception as exc:
            raise self.fail(f"cannot import {self.provider!r}: {exc!r}", exc)
        for part in self.function.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise self.fail(f"{self.provider!r} has no attribute {self.function!r}")
        return obj

    def apply(self, module) -> None:
        func = self._resolve()
        if self.qualname is None:
            if not callable(func):
                raise self.fail(f"{self.provider}:{self.function} is not callable")
            try:
                func(module)
            except Exception as exc:
                raise self.fail(f"{type(exc).__name__}: {exc}", exc)
            return
        target = module
        for part in self.qualname.split("."):
            try:
                target = getattr(target, part)
            except AttributeError:
                raise self.fail(f"module {self.module!r} has no attribute {self.qualname!r}")
        name = self.name or getattr(func, "__name__", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise self.fail(f"{self.provider}:{self.function} has no usable __name__; name it: \"name={self.spec}\"")
        existing = _lookup(target, name)
        if existing is func:
            return  # already applied: idempotent
        if existing is not _MISSING and not _same_function(existing, func) and not self.override:
            raise self.fail(f"{self.qualname} already has an attribute {name!r}; rename the extension "
                            "(\"newname=module:function\") or set override = true in [tool.pkm.extensions-options]")
        try:
            setattr(target, name, func)
        except (TypeError, AttributeError) as exc:
            what = f"the type {target.__name__!r}" if isinstance(target, type) else f"{type(target).__name__!r} objects"
            raise self.fail(f"{what} cannot take new attributes ({exc}); "
                            "use a subclass or a plain function instead")


_MISSING = object()


def _lookup(obj, name):
    """The raw attribute `name` of `obj` (through the MRO for a class, descriptors unresolved)."""
    if isinstance(obj, type):
        for klass in obj.__mro__:
            if name in vars(klass):
                return vars(klass)[name]
        return _MISSING
    namespace = getattr(obj, "__dict__", None)
    if isinstance(namespace, dict) and name in namespace:
        return namespace[name]
    return getattr(obj, name, _MISSING)


def _same_function(existing, func) -> bool:
    # Ours from an earlier application whose provider module was reloaded since.
    ident = (getattr(func, "__module__", None), getattr(func, "__qualname__", None))
    return ident[1] is not None and (getattr(existing, "__module__", None),
                                     getattr(existing, "__qualname__", None)) == ident


# -------------------------------------------------------------- the hook


class _Hook:
    """Wraps a found loader for the time of one load: runs it, then the hooks.

    Everything else is delegated, and the original loader is put back on the
    spec and the module afterwards, so the module looks as if we were never there.
    """

    _pkm_hooked = True

    def __init__(self, loader, fullname: str, registry: "_Registry"):
        self._pkm_loader = loader  # None for a namespace package
        self._pkm_fullname = fullname
        self._pkm_registry = registry

    def __getattr__(self, name):
        if name.startswith("_pkm_"):
            raise AttributeError(name)
        return getattr(self._pkm_loader, name)

    def create_module(self, spec):
        create = getattr(self._pkm_loader, "create_module", None)
        return create(spec) if create is not None else None

    def _restore(self, module) -> None:
        spec = getattr(module, "__spec__", None)
        loader = self._pkm_loader
        if loader is None and spec is not None and spec.submodule_search_locations is not None:
            # Let the import system make its namespace loader, exactly as it does without us.
            import importlib.util

            blank = importlib.util.spec_from_loader(self._pkm_fullname, None, is_package=True)
            blank.submodule_search_locations = spec.submodule_search_locations
            importlib.util.module_from_spec(blank)
            loader = blank.loader
            if getattr(module, "__file__", _MISSING) is _MISSING:
                module.__file__ = None
        if spec is not None and spec.loader is self:
            spec.loader = loader
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = loader


class _HookedLoader(_Hook):
    """For a loader with exec_module, and for a namespace package (no loader)."""

    def exec_module(self, module) -> None:
        try:
            if self._pkm_loader is not None:
                self._pkm_loader.exec_module(module)
        finally:
            self._restore(module)
        self._pkm_registry.run(self._pkm_fullname, sys.modules.get(self._pkm_fullname, module), fresh=True)


class _LegacyHookedLoader(_Hook):
    """For a loader that only has load_module (legacy finders, Python < 3.12)."""

    def load_module(self, fullname):
        module = self._pkm_loader.load_module(fullname)
        self._restore(module)
        try:
            self._pkm_registry.run(fullname, sys.modules.get(fullname, module), fresh=True)
        except BaseException:
            sys.modules.pop(fullname, None)
            raise
        return module


class _Registry:
    """The hooks of one interpreter, and the meta path finder that fires them.

    It sits first on sys.meta_path and answers only for watched module names,
    by asking the finders after it and wrapping the loader they return.
    """

    _pkm_extensions_registry = True

    def __init__(self):
        self.lock = _thread.allocate_lock()  # guards the dicts below; never held while importing
        self.actions: dict = {}  # module name -> {action key: _Action}
        self.applied: dict = {}  # module name -> (module object, set of applied action keys)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.actions:
            return None
        spec = None
        for finder in list(sys.meta_path):
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is not None:
                spec = find(fullname, path, target)
            elif sys.version_info < (3, 12) and getattr(finder, "find_module", None) is not None:  # legacy finder
                loader = finder.find_module(fullname, path)
                if loader is not None:
                    import importlib.util

                    spec = importlib.util.spec_from_loader(fullname, loader)
            if spec is not None:
                break
        if spec is None or getattr(spec.loader, "_pkm_hooked", False):
            return spec
        if spec.loader is None:
            if spec.submodule_search_locations is not None:  # a namespace package
                spec.loader = _HookedLoader(None, fullname, self)
        elif hasattr(spec.loader, "exec_module"):
            spec.loader = _HookedLoader(spec.loader, fullname, self)
        elif hasattr(spec.loader, "load_module"):
            spec.loader = _LegacyHookedLoader(spec.loader, fullname, self)
        return spec

    def add(self, actions) -> None:
        with self.lock:
            for action in actions:
                self.actions.setdefault(action.module, {})[action.key] = action

    def run(self, name: str, module, *, fresh: bool) -> None:
        """Apply the pending actions of `name` to `module`; `fresh` after a new execution of it.

        On failure the module leaves sys.modules (unless built in), so the next
        import executes it again and fails again instead of running unpatched.
        """
        with self.lock:
            entry = self.applied.get(name)
            if fresh or entry is None or entry[0] is not module:
                entry = self.applied[name] = (module, set())
            done = entry[1]
            todo = [a for a in self.actions.get(name, {}).values() if a.key not in done]
            done.update(a.key for a in todo)  # claimed, so a racing thread does not apply them twice
        for index, action in enumerate(todo):
            try:
                action.apply(module)
            except BaseException:
                with self.lock:
                    done.difference_update(a.key for a in todo[index:])
                    if self.applied.get(name, (None,))[0] is module:
                        del self.applied[name]
                if not fresh and name not in sys.builtin_module_names and sys.modules.get(name) is module:
                    del sys.modules[name]
                raise


def _registry() -> _Registry:
    # One registry per interpreter, even if this module is imported twice (pkm.run drops
    # the modules it used before the script starts): find the one already on sys.meta_path.
    for finder in sys.meta_path:
        if getattr(finder, "_pkm_extensions_registry", False):
            return finder
    return _Registry()


def _actions(extensions: dict, patches: dict, override: bool):
    for target, specs in extensions.items():
        module, qualname = parse_target(target)
        for spec in specs:
            name, provider, function = parse_spec(spec)
            yield _Action("extensions", target, spec, module, qualname, name, provider, function, override)
    for module, specs in patches.items():
        for spec in specs:
            _, provider, function = parse_spec(spec, rename=False)
            yield _Action("patches", module, spec, module.strip(), None, None, provider, function, override)


def install(extensions: dict, patches: dict, *, override: bool = False) -> None:
    """Apply `extensions` (TARGET -> specs) and `patches` (MODULE -> specs) on import from now on.

    Targets already imported are extended at once, so their errors (a name
    clash, a built-in type such as str) raise ExtensionError here; the others
    raise it from the import statement that loads them, every time. Safe to
    call again with the same specs (nothing is applied twice); each call also
    moves the hook to the front of sys.meta_path, in front of finders added
    since. Cost: parsing the specs and one dict lookup per later import; the
    provider modules are imported only when their target is.

    Thread-safe once installed: threads importing a target together see it
    extended, exactly once. Call it before other threads start importing the
    targets: an import already past its finder when a target is first
    registered completes without the hook.
    """
    problems = validate(extensions, patches)
    if problems:
        raise ExtensionError("malformed extensions in the runtime manifest: " + "; ".join(problems))
    registry = _registry()
    actions = list(_actions(extensions, patches, override))
    registry.add(actions)
    if registry in sys.meta_path and sys.meta_path[0] is not registry:
        sys.meta_path.remove(registry)
    if registry not in sys.meta_path:
        sys.meta_path.insert(0, registry)
    errors = []
    for name in sorted({a.module for a in actions}):
        module = sys.modules.get(name)
        if module is None:
            continue
        if getattr(getattr(module, "__spec__", None), "_initializing", False):
            import importlib  # another thread is importing it: wait until it is done

            try:
                module = importlib.import_module(name)
            except ImportError:
                continue  # that import failed; the next one goes through the hook
        try:
            registry.run(name, module, fresh=False)
        except ExtensionError as exc:  # go on: one bad target must not leave the others unextended
            errors.append(exc)
    if errors:
        if len(errors) > 1:
            raise ExtensionError("\n".join(str(e) for e in errors), name=errors[0].name) from errors[0]
        raise errors[0]
