"""PEP 621 `[project]` becomes valid core metadata 2.4; bad input names the key at fault."""

from __future__ import annotations

from email.parser import BytesParser

import pytest
from packaging.metadata import Metadata

import pkm.backend as backend

FULL = """
[project]
name = "Fancy.Thing"
version = "1.02"
description = "Does fancy things"
readme = "README.rst"
requires-python = ">=3.9"
license = "mit OR apache-2.0"
license-files = ["LICENSE*", "licenses/**"]
authors = [{name = "Ada Lovelace", email = "ada@example.org"}, {name = "Bob"}, {email = "c@example.org"}]
maintainers = [{name = "Mae", email = "mae@example.org"}]
keywords = ["fancy", "things"]
classifiers = ["Programming Language :: Python :: 3"]
dependencies = ["idna>=3", "tomli; python_version < '3.11'"]

[project.optional-dependencies]
Socks_Proxy = ["pysocks", "win-inet-pton; sys_platform == 'win32' or os_name == 'nt'"]
pinned = ["tool @ https://example.org/tool-1.0.tar.gz"]

[project.urls]
Homepage = "https://example.org"
"Bug Tracker" = "https://example.org/issues"

[project.scripts]
fancy = "fancy_thing.cli:main"

[project.gui-scripts]
fancy-gui = "fancy_thing.gui:run"

[project.entry-points."fancy.plugins"]
basic = "fancy_thing.plugins:Basic [extra]"
"""


def _metadata(path) -> Metadata:
    return Metadata.from_email(path.read_bytes(), validate=True)


def test_every_pep621_field_reaches_core_metadata(project, hook, read):
    root = project(FULL, {
        "fancy_thing/__init__.py": "", "README.rst": "Fancy\n=====\n", "LICENSE.txt": "MIT text",
        "licenses/apache/LICENSE": "Apache text",
    })
    wheel = hook(root, "build_wheel")
    assert wheel.name == "fancy_thing-1.2-py3-none-any.whl"
    files = read(wheel)
    raw = files["fancy_thing-1.2.dist-info/METADATA"]
    meta = Metadata.from_email(raw, validate=True)
    assert (meta.metadata_version, meta.name, str(meta.version)) == ("2.4", "Fancy.Thing", "1.2")
    assert meta.summary == "Does fancy things"
    assert meta.description == "Fancy\n=====\n" and meta.description_content_type == "text/x-rst"
    assert str(meta.requires_python) == ">=3.9"
    assert meta.license_expression == "MIT OR Apache-2.0"
    assert meta.license_files == ["LICENSE.txt", "licenses/apache/LICENSE"]
    assert files["fancy_thing-1.2.dist-info/licenses/licenses/apache/LICENSE"] == b"Apache text"
    assert meta.author == "Bob"
    assert meta.author_email == "Ada Lovelace <ada@example.org>, c@example.org"
    assert meta.maintainer_email == "Mae <mae@example.org>"
    assert meta.keywords == ["fancy", "things"]
    assert meta.classifiers == ["Programming Language :: Python :: 3"]
    assert meta.project_urls == {"Homepage": "https://example.org", "Bug Tracker": "https://example.org/issues"}
    assert meta.provides_extra == ["socks-proxy", "pinned"]
    assert [str(r) for r in meta.requires_dist] == [
        "idna>=3", 'tomli; python_version < "3.11"', 'pysocks; extra == "socks-proxy"',
        'win-inet-pton; (sys_platform == "win32" or os_name == "nt") and extra == "socks-proxy"',
        'tool @ https://example.org/tool-1.0.tar.gz ; extra == "pinned"',
    ]
    assert str(meta.requires_dist[-1].url) == "https://example.org/tool-1.0.tar.gz"
    # Canonical header spelling, as every tool that greps METADATA expects.
    assert raw.startswith(b"Metadata-Version: 2.4\nName: Fancy.Thing\nVersion: 1.2\n")
    entry_points = files["fancy_thing-1.2.dist-info/entry_points.txt"].decode()
    assert entry_points == ("[console_scripts]\nfancy = fancy_thing.cli:main\n\n[gui_scripts]\n"
                            "fancy-gui = fancy_thing.gui:run\n\n[fancy.plugins]\nbasic = fancy_thing.plugins:Basic [extra]\n")


def test_prepare_metadata_matches_the_wheel(project, hook, read, tmp_path):
    root = project(FULL, {"fancy_thing/__init__.py": "", "README.rst": "x", "LICENSE": "m", "licenses/a": "a"})
    wheel = read(hook(root, "build_wheel"))
    meta_dir = tmp_path / "meta"
    meta_dir.mkdir()
    name = backend.prepare_metadata_for_build_wheel(str(meta_dir))
    assert name == "fancy_thing-1.2.dist-info"
    written = {p.relative_to(meta_dir).as_posix(): p.read_bytes() for p in meta_dir.rglob("*") if p.is_file()}
    assert written == {k: v for k, v in wheel.items() if k.startswith(name) and not k.endswith("RECORD")}


def test_dynamic_version_is_read_without_importing(project, hook):
    root = project('[project]\nname = "dyn"\ndynamic = ["version"]\n', {
        "src/dyn/__init__.py": 'raise SystemExit("imported!")\n__version__ = "2.0.post1"\n'})
    assert hook(root, "build_wheel").name == "dyn-2.0.post1-py3-none-any.whl"


@pytest.mark.parametrize("readme, content_type", [
    ('"README.md"', "text/markdown"),
    ('"notes.txt"', "text/plain"),
    ('{file = "notes.txt", content-type = "text/markdown; charset=UTF-8; variant=GFM"}',
     "text/markdown; charset=UTF-8; variant=GFM"),
    ('{text = "inline", content-type = "text/x-rst"}', "text/x-rst"),
])
def test_readme_forms(project, hook, readme, content_type):
    root = project(f'[project]\nname = "r"\nversion = "1"\nreadme = {readme}\n',
                   {"r.py": "", "README.md": "md", "notes.txt": "txt"})
    meta = _metadata(hook(root, "prepare_metadata_for_build_wheel") / "METADATA")
    assert meta.description_content_type == content_type
    assert meta.description in ("md", "txt", "inline")


def test_legacy_license_table_and_default_license_files(project, hook):
    root = project('[project]\nname = "l"\nversion = "1"\nlicense = {text = "Custom terms"}\n',
                   {"l.py": "", "COPYING": "c"})
    meta = _metadata(hook(root, "prepare_metadata_for_build_wheel") / "METADATA")
    assert meta.license == "Custom terms" and meta.license_expression is None
    root = project('[project]\nname = "l"\nversion = "1"\nlicense = "MIT"\n', {"l.py": "", "COPYING": "c"})
    meta = _metadata(hook(root, "prepare_metadata_for_build_wheel") / "METADATA")
    assert meta.license_files == ["COPYING"]


def test_import_names_raise_the_metadata_version_to_2_5(project, hook):
    root = project('[project]\nname = "n"\nversion = "1"\nimport-names = ["n", "_n_impl; private"]\n'
                   'import-namespaces = ["corp"]\n', {"n.py": ""})
    meta = _metadata(hook(root, "prepare_metadata_for_build_wheel") / "METADATA")
    assert meta.metadata_version == "2.5"
    assert (meta.import_names, meta.import_namespaces) == (["n", "_n_impl; private"], ["corp"])
    root = project('[project]\nname = "n"\nversion = "1"\n', {"n.py": ""})
    assert _metadata(hook(root, "prepare_metadata_for_build_wheel") / "METADATA").metadata_version == "2.4"


BASE = '[project]\nname = "bad"\nversion = "1"\n'


@pytest.mark.parametrize("pyproject, key, why", [
    ("", "project", "no [project] table"),
    ('[project]\nversion = "1"\n', "project.name", "required"),
    ('[project]\nname = "-bad-"\nversion = "1"\n', "project.name", "not a valid project name"),
    ('[project]\nname = "bad"\n', "project.version", "required"),
    ('[project]\nname = "bad"\nversion = "one"\n', "project.version", "not a valid version"),
    ('[project]\nname = "bad"\nversion = "1"\ndynamic = ["version"]\n', "project.version", "both set"),
    ('[project]\nname = "bad"\nversion = "1"\ndynamic = ["dependencies"]\n', "project.dynamic", "cannot compute"),
    (BASE + "versoin = 2\n", "project.versoin", "unknown key"),
    (BASE + 'description = "two\\nlines"\n', "project.description", "one line"),
    (BASE + "description = 3\n", "project.description", "must be a string"),
    (BASE + 'readme = "README.html"\n', "project.readme", "content type"),
    (BASE + 'readme = "MISSING.md"\n', "project.readme", "not found"),
    (BASE + 'readme = "../README.md"\n', "project.readme", "inside the project"),
    (BASE + 'license = {file = "/etc/passwd"}\n', "project.license.file", "inside the project"),
    (BASE + 'readme = {file = "README.md"}\n', "project.readme.content-type", "required"),
    (BASE + 'readme = {text = "x", content-type = "text/html"}\n', "project.readme.content-type", "text/html"),
    (BASE + 'license = "MIT"\nlicense-files = ["**LICENSE"]\n', "project.license-files[0]", "invalid glob"),
    (BASE + 'requires-python = ">=3.9,<"\n', "project.requires-python", "Invalid specifier"),
    (BASE + 'license = "MIT-ish"\n', "project.license", "Unknown license"),
    (BASE + 'license = "MIT"\nlicense-files = ["NOPE*"]\n', "project.license-files[0]", "matches no file"),
    (BASE + 'license = "MIT"\nlicense-files = ["../LICENSE"]\n', "project.license-files[0]", "without `..`"),
    (BASE + 'license = "MIT"\nclassifiers = ["License :: OSI Approved :: MIT License"]\n',
     "project.classifiers", "PEP 639"),
    (BASE + 'authors = [{name = "A, B"}]\n', "project.authors[0].name", "comma"),
    (BASE + 'authors = [{nam = "A"}]\n', "project.authors[0]", "nothing else"),
    (BASE + 'keywords = "a,b"\n', "project.keywords", "an array of strings"),
    (BASE + 'dependencies = ["idna >>= 3"]\n', "project.dependencies[0]", "invalid requirement"),
    (BASE + '[project.optional-dependencies]\nx = ["ok", "not ok!"]\n',
     "project.optional-dependencies.x[1]", "invalid requirement"),
    (BASE + '[project.scripts]\nrun = "not a target"\n', "project.scripts.run", "not a valid entry point"),
    (BASE + '[project.entry-points.console_scripts]\nrun = "a:b"\n', "project.entry-points.console_scripts",
     "[project.scripts]"),
    (BASE + '[project.urls]\n"A very long label that goes on and on" = "https://x"\n',
     "project.urls.A very long label that goes on and on", "32 characters"),
    ("[project\n", "pyproject.toml", "invalid TOML"),
    (BASE + 'import-names = ["not-valid"]\n', "project.import-names", "not a valid identifier"),
])
def test_bad_project_tables_name_the_key(project, hook, pyproject, key, why):
    root = project(pyproject, {"bad.py": "", "README.md": "hi", "LICENSE": "l"})
    with pytest.raises(backend.ConfigError) as err:
        hook(root, "build_wheel")
    assert err.value.key == key
    assert why in str(err.value)
    assert str(err.value).startswith(f"pyproject.toml: `{key}`:")


def test_metadata_file_parses_as_email_with_the_description_as_body(project, hook):
    root = project(BASE + 'readme = "README.md"\n', {"bad.py": "", "README.md": "# Title\n\nBody: with colon\n"})
    message = BytesParser().parsebytes((hook(root, "prepare_metadata_for_build_wheel") / "METADATA").read_bytes())
    assert message["Name"] == "bad"
    assert message.get_payload() == "# Title\n\nBody: with colon\n"
