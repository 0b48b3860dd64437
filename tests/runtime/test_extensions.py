"""Extension methods and patches: applied on import, at once, again after reload, once per execution, loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pkm_runtime.extensions import ExtensionError, install, parse_spec, parse_target, validate

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

MYEXT = '''
calls = []

def as_percent(self):
    return f"{float(self) * 100:.0f}%"

def limit_denominator(self, max_denominator=10):
    return "overridden"

def patch_json(module):
    calls.append(module.__name__)
    module.patched = getattr(module, "patched", 0) + 1

def patch_any(module):
    calls.append(module.__name__)
    module.patched = True

def boom(module):
    raise ValueError("boom in patch")

label = "not a function"
'''


def run(tmp_path, code: str, extensions=None, patches=None, override=False, files=None):
    """Run `code` in a fresh interpreter after install(); returns the CompletedProcess."""
    (tmp_path / "myext.py").write_text(MYEXT)
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    prologue = (
        "import sys\n"
        "from pkm_runtime.extensions import ExtensionError, install\n"
        f"SPECS = {[extensions or {}, patches or {}]!r}\n"
    )
    if "install(" not in code:
        prologue += f"install(*SPECS, override={override})\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(tmp_path)])
    script = tmp_path / "script.py"
    script.write_text(prologue + textwrap.dedent(code))
    return subprocess.run([PYTHON, str(script)], env=env, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)


def ok(proc) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


FRACTION = {"fractions.Fraction": ["myext:as_percent"]}


def test_an_extension_is_added_when_its_module_is_imported_later(tmp_path):
    out = ok(run(tmp_path, """
        assert "fractions" not in sys.modules and "myext" not in sys.modules  # the provider is imported lazily
        from fractions import Fraction
        print(Fraction(1, 4).as_percent(), "myext" in sys.modules)
    """, FRACTION))
    assert out == "25% True\n"


def test_an_extension_reaches_a_module_that_is_already_imported(tmp_path):
    out = ok(run(tmp_path, """
        from fractions import Fraction
        early = Fraction(3, 4)
        install(*SPECS)
        install(*SPECS)  # twice is harmless
        print(early.as_percent())
    """, FRACTION))
    assert out == "75%\n"


SHAPES = {"shapes.py": """
    class Outer:
        class Inner(float):
            pass
"""}


def test_the_rename_form_and_an_explicit_qualified_target(tmp_path):
    out = ok(run(tmp_path, """
        import fractions, shapes
        print(fractions.Fraction(1, 2).pct(), shapes.Outer.Inner(0.1).as_percent())
    """, {"fractions.Fraction": ["pct=myext:as_percent"], "shapes:Outer.Inner": ["myext:as_percent"]}, files=SHAPES))
    assert out == "50% 10%\n"


def test_a_name_the_target_already_has_is_an_error_unless_override(tmp_path):
    clash = {"fractions.Fraction": ["myext:limit_denominator"]}
    proc = run(tmp_path, """
        for attempt in range(2):
            try:
                import fractions
            except ExtensionError as exc:
                print(type(exc).__mro__[1].__name__, "fractions" in sys.modules, exc)
    """, clash)
    lines = ok(proc).splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].startswith("ImportError False extension 'myext:limit_denominator' for 'fractions.Fraction'")
    assert "already has an attribute 'limit_denominator'" in lines[0]
    assert "override = true in [tool.pkm.extensions-options]" in lines[0]

    out = ok(run(tmp_path, """
        import fractions
        install(*SPECS, override=True)  # our own function from the first call is no clash
        print(fractions.Fraction(1, 3).limit_denominator())
    """, clash, override=True))
    assert out == "overridden\n"


def test_a_type_that_cannot_take_attributes_fails_at_install(tmp_path):
    out = ok(run(tmp_path, """
        import fractions
        try:
            install(*SPECS)
        except ExtensionError as exc:
            print(exc)
        print(fractions.Fraction(1, 2).as_percent())  # the other targets are extended all the same
        print("builtins" in sys.modules, hasattr(str, "as_percent"))
    """, {"builtins.str": ["myext:as_percent"], "fractions.Fraction": ["myext:as_percent"]}))
    assert out.startswith("extension 'myext:as_percent' for 'builtins.str' ([tool.pkm.extensions]) failed: "
                          "the type 'str' cannot take new attributes")
    assert out.endswith("\n50%\nTrue False\n")


def test_a_patch_is_called_once_with_the_module(tmp_path):
    out = ok(run(tmp_path, """
        import json
        import json
        install(*SPECS)
        import myext
        print(json.patched, myext.calls)
    """, patches={"json": ["myext:patch_json"]}))
    assert out == "1 ['json']\n"


def test_a_failing_patch_fails_every_import_of_its_target(tmp_path):
    out = ok(run(tmp_path, """
        for attempt in range(3):
            try:
                import json
                print("imported unpatched")
            except ImportError as exc:
                first = exc.__cause__.__traceback__.tb_frame.f_code  # the user's frame, not pkm's
                print(type(exc).__name__, repr(exc.__cause__), "json" in sys.modules, first.co_name)
                print(exc)
    """, patches={"json": ["myext:boom"]}))
    lines = out.splitlines()
    assert lines[0] == "ExtensionError ValueError('boom in patch') False boom"
    assert lines[1] == "patch 'myext:boom' for 'json' ([tool.pkm.patches]) failed: ValueError: boom in patch"
    assert lines == lines[:2] * 3


def test_a_failing_patch_on_an_imported_module_fails_now_and_on_the_next_import(tmp_path):
    out = ok(run(tmp_path, """
        import json
        for action in ("install(*SPECS)", "import json", "import json"):
            try:
                exec(action)
                print("no error")
            except ExtensionError as exc:
                print("ExtensionError", "json" in sys.modules)
    """, patches={"json": ["myext:boom"]}))
    assert out == "ExtensionError False\n" * 3


def test_a_missing_provider_or_function_names_the_spec(tmp_path):
    out = ok(run(tmp_path, """
        for name in ("json", "fractions", "shapes"):
            try:
                __import__(name)
            except ExtensionError as exc:
                print(exc)
                assert exc.__cause__ is None or name == "fractions", exc.__cause__  # no traceback of our lookups
    """, {"fractions.Fraction": ["nosuchmod:f"], "shapes.Outer": ["myext:label"]},
        {"json": ["myext:nothing"]}, files=SHAPES))
    lines = out.splitlines()
    assert lines[0] == "patch 'myext:nothing' for 'json' ([tool.pkm.patches]) failed: 'myext' has no attribute 'nothing'"
    assert lines[1].startswith("extension 'nosuchmod:f' for 'fractions.Fraction' ([tool.pkm.extensions]) "
                               "failed: cannot import 'nosuchmod': ModuleNotFoundError(")
    assert "myext:label has no usable __name__; name it: \"name=myext:label\"" in lines[2]


def test_reload_applies_again(tmp_path):
    out = ok(run(tmp_path, """
        import importlib, json, fractions
        old = fractions.Fraction
        importlib.reload(json)
        importlib.reload(fractions)
        print(json.patched, fractions.Fraction is not old, fractions.Fraction(1, 5).as_percent())
    """, FRACTION, {"json": ["myext:patch_json"]}))
    assert out == "2 True 20%\n"


def test_the_module_keeps_its_own_loader(tmp_path):
    out = ok(run(tmp_path, """
        import json, importlib.util
        print(type(json.__loader__).__name__, type(json.__spec__.loader).__name__,
              importlib.util.find_spec("json").loader is json.__loader__, json.patched)
    """, patches={"json": ["myext:patch_any"]}))
    assert out == "SourceFileLoader SourceFileLoader True True\n"


def test_threads_importing_targets_together_see_them_patched_once(tmp_path):
    # slowhelper, the provider of slowtarget's patch, imports another target (json) when the
    # hook fires: hooks that import must not deadlock with imports in other threads.
    files = {
        "slowtarget.py": """
            import time
            time.sleep(0.2)  # widen the window in which other threads wait for the import
        """,
        "slowhelper.py": """
            import json, myext
            def patch(module):
                myext.patch_any(module)
                module.json_patched = json.patched
        """,
    }
    out = ok(run(tmp_path, """
        import threading
        install(*SPECS)
        barrier = threading.Barrier(9)
        seen = []

        def importer(index):
            barrier.wait()
            if index % 2:
                import json
                seen.append(json.patched)
            else:
                import slowtarget
                seen.append(slowtarget.patched and slowtarget.json_patched)

        def installer():  # installing again while the imports run applies nothing twice
            barrier.wait()
            install(*SPECS)

        threads = [threading.Thread(target=importer, args=(i,)) for i in range(8)]
        threads.append(threading.Thread(target=installer))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        import myext
        print(seen == [True] * 8, sorted(myext.calls))
    """, patches={"slowtarget": ["slowhelper:patch"], "json": ["myext:patch_any"]}, files=files))
    assert out == "True ['json', 'slowtarget']\n"


def test_a_namespace_package_target_stays_a_namespace_package(tmp_path):
    files = {"nsp/part/things.py": "class Thing:\n    pass\n"}
    out = ok(run(tmp_path, """
        import nsp, nsp.part.things
        print(nsp.patched, nsp.__file__, nsp.__spec__.origin, type(nsp.__loader__).__name__.lstrip("_"),
              list(nsp.__path__)[0].endswith("nsp"), hasattr(nsp.part.things.Thing, "as_percent"))
    """, {"nsp.part.things.Thing": ["myext:as_percent"]}, {"nsp": ["myext:patch_any"]}, files=files))
    assert out == "True None None NamespaceLoader True True\n"


def test_other_finders_keep_working(tmp_path):
    out = ok(run(tmp_path, """
        import importlib.abc, importlib.util

        class StringLoader(importlib.abc.Loader):
            def create_module(self, spec):
                return None
            def exec_module(self, module):
                module.source = "memory"

        class StringFinder(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name in ("virtual", "other"):
                    return importlib.util.spec_from_loader(name, StringLoader())

        sys.meta_path.append(StringFinder())
        import virtual, other
        print(virtual.source, virtual.patched, type(virtual.__loader__).__name__, hasattr(other, "patched"))
        try:
            import nowhere
        except ModuleNotFoundError as exc:
            print(exc)
    """, patches={"virtual": ["myext:patch_any"], "nowhere": ["myext:patch_any"]}))
    assert out == "memory True StringLoader False\nNo module named 'nowhere'\n"


def test_importing_the_module_costs_nothing_at_start_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(REPO)
    code = ("import sys, pkm_runtime; before = set(sys.modules); import pkm_runtime.extensions; "
            "print(sorted(set(sys.modules) - before))")
    proc = subprocess.run([PYTHON, "-S", "-c", code], env=env, capture_output=True, text=True)
    assert proc.stdout.strip() == "['pkm_runtime.extensions']", proc.stderr


# ------------------------------------------------------------ the format, in process


def test_targets_and_specs_parse():
    assert parse_target("rich.text.Text") == ("rich.text", "Text")
    assert parse_target("pkg.mod:Outer.Inner") == ("pkg.mod", "Outer.Inner")
    assert parse_spec("myext:as_percent") == (None, "myext", "as_percent")
    assert parse_spec("shout = my.ext:Helpers.loud") == ("shout", "my.ext", "Helpers.loud")


@pytest.mark.parametrize("extensions, patches, problem", [
    ({"Fraction": ["m:f"]}, {}, "[tool.pkm.extensions] 'Fraction': 'Fraction' names no module"),
    ({"fractions.Fraction": ["myext"]}, {}, "'myext' is not [name=]module:function"),
    ({"fractions.Fraction": ["class=m:f"]}, {}, "'class' is a Python keyword"),
    ({"fractions.Fraction": ["1x=m:f"]}, {}, "'1x' is not a valid attribute name"),
    ({"fractions.Fraction": ["m:f-g"]}, {}, "'m:f-g' is not [name=]module:function"),
    ({"fractions.Fraction": "m:f"}, {}, "must be a list of strings, not str"),
    ({"fractions.Fraction": [3]}, {}, "a spec must be a string, not int"),
    ({}, {"json": ["x=m:f"]}, "a patch is called, not stored under a name"),
    ({}, {"js on": ["m:f"]}, "[tool.pkm.patches] 'js on': 'js on' is not a module name"),
    ([], {}, "[tool.pkm.extensions]: must be a table"),
])
def test_validate_names_each_problem(extensions, patches, problem):
    problems = validate(extensions, patches)
    assert len(problems) == 1 and problem in problems[0], problems


def test_install_refuses_a_malformed_manifest_at_once():
    with pytest.raises(ExtensionError, match="not \\[name=\\]module:function"):
        install({"fractions.Fraction": ["myext"]}, {})
    assert validate(FRACTION, {"json": ["myext:patch_json"]}) == []
