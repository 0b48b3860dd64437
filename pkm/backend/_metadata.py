"""PEP 621 `[project]` to core metadata 2.4 (2.5 with PEP 794 import names), and entry_points.txt, via packaging."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.metadata import InvalidMetadata, Metadata, RawMetadata, RFC822Message
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from ._pyproject import ConfigError, expect, relative_path

__all__ = ["ProjectMetadata", "read_project", "DEFAULT_LICENSE_GLOBS"]

# PEP 639's recommended defaults when `license-files` is absent; matching nothing is fine then.
DEFAULT_LICENSE_GLOBS = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*")

_KEYS = ("name", "version", "description", "readme", "requires-python", "license", "license-files", "authors",
         "maintainers", "keywords", "classifiers", "urls", "dependencies", "optional-dependencies", "scripts",
         "gui-scripts", "entry-points", "dynamic", "import-names", "import-namespaces")
# Where a core metadata field that packaging rejects came from in [project].
_FIELD_KEYS = {"description-content-type": "project.readme.content-type", "license-file": "project.license-files",
               "project-url": "project.urls", "requires-dist": "project.dependencies",
               "provides-extra": "project.optional-dependencies", "classifier": "project.classifiers",
               "keywords": "project.keywords", "summary": "project.description", "name": "project.name",
               "import-name": "project.import-names", "import-namespace": "project.import-namespaces"}
_README_TYPES = {".md": "text/markdown", ".rst": "text/x-rst", ".txt": "text/plain"}
_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?(\s*\[[\w\s,.-]*\])?$")

# Canonical header spelling and order of the fields we write (packaging writes lower case).
_HEADERS = [
    ("metadata_version", "Metadata-Version"), ("name", "Name"), ("version", "Version"), ("summary", "Summary"),
    ("keywords", "Keywords"), ("author", "Author"), ("author_email", "Author-email"),
    ("maintainer", "Maintainer"), ("maintainer_email", "Maintainer-email"), ("license", "License"),
    ("license_expression", "License-Expression"), ("license_files", "License-File"),
    ("classifiers", "Classifier"), ("requires_python", "Requires-Python"), ("project_urls", "Project-URL"),
    ("requires_dist", "Requires-Dist"), ("provides_extra", "Provides-Extra"),
    ("import_names", "Import-Name"), ("import_namespaces", "Import-Namespace"),
    ("description_content_type", "Description-Content-Type"),
]


@dataclass
class ProjectMetadata:
    """A validated `[project]`: the core metadata plus what the archives need besides it."""

    name: str  # as written in pyproject.toml
    version: Version
    raw: RawMetadata
    readme_file: str | None = None  # project-relative POSIX paths, for the sdist
    license_files: list[str] = field(default_factory=list)
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def dist_name(self) -> str:
        """The name as it appears in file names: `pkm_tool` for `pkm-tool`."""
        return canonicalize_name(self.name).replace("-", "_")

    @property
    def dist_info(self) -> str:
        return f"{self.dist_name}-{self.version}.dist-info"

    def metadata_bytes(self) -> bytes:
        """METADATA / PKG-INFO: RFC 822 headers in canonical spelling, the description as the body."""
        message = RFC822Message()
        for key, header in _HEADERS:
            value = self.raw.get(key)
            if value is None:
                continue
            if key == "keywords":
                message[header] = ",".join(value)
            elif key == "project_urls":
                for label, url in value.items():
                    message[header] = f"{label}, {url}"
            elif isinstance(value, list):
                for item in value:
                    message[header] = item
            else:
                message[header] = value
        if "description" in self.raw:
            message.set_payload(self.raw["description"])
        data = message.as_bytes()
        Metadata.from_email(data, validate=True)  # what we wrote must read back as valid metadata
        return data

    def entry_points_text(self) -> str | None:
        """entry_points.txt in the INI format importlib.metadata reads, or None when there are none."""
        if not self.entry_points:
            return None
        blocks = []
        for group, entries in self.entry_points.items():
            lines = [f"[{group}]"] + [f"{name} = {value}" for name, value in entries.items()]
            blocks.append("\n".join(lines) + "\n")
        return "\n".join(blocks)


def read_project(pyproject: Mapping[str, Any], root: Path, dynamic_version: Callable[[], str],
                 license_globber: Callable[[str, str], list[str]]) -> ProjectMetadata:
    """Validate `[project]` and build its core metadata.

    `dynamic_version()` is called only when `version` is dynamic; `license_globber(pattern, key)` returns the
    project-relative files a license glob matches. Raises ConfigError naming the key at fault.
    """
    if "project" not in pyproject:
        raise ConfigError("project", "pyproject.toml has no [project] table",
                          "declare at least `name` and `version` under [project]")
    project = expect(pyproject["project"], dict, "project", "a table")
    unknown = sorted(set(project) - set(_KEYS))
    if unknown:
        raise ConfigError(f"project.{unknown[0]}", "unknown key (PEP 621 does not define it)",
                          "check the spelling, or move tool settings under [tool.pkm]")
    dynamic = [expect(d, str, "project.dynamic", "an array of strings") for d in
               expect(project.get("dynamic", []), list, "project.dynamic", "an array of strings")]
    for name in dynamic:
        if name != "version":
            raise ConfigError("project.dynamic", f"pkm.backend cannot compute `{name}` dynamically",
                              f"write `{name}` statically under [project]; only `version` may be dynamic")
    if "name" in dynamic or "name" not in project:
        raise ConfigError("project.name", "is required and may not be dynamic")
    name = expect(project["name"], str, "project.name", "a string")
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        raise ConfigError("project.name", f"{name!r} is not a valid project name",
                          "use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit") from None
    version = _version(project, dynamic, dynamic_version)
    raw: RawMetadata = {"metadata_version": "2.4", "name": name, "version": str(version)}
    result = ProjectMetadata(name, version, raw)

    if "description" in project:
        summary = expect(project["description"], str, "project.description", "a string")
        if "\n" in summary:
            raise ConfigError("project.description", "must be one line", "put longer text in `readme`")
        raw["summary"] = summary
    if "readme" in project:
        _readme(project["readme"], root, raw, result)
    if "requires-python" in project:
        spec = expect(project["requires-python"], str, "project.requires-python", "a string")
        try:
            raw["requires_python"] = str(SpecifierSet(spec))
        except InvalidSpecifier as exc:
            raise ConfigError("project.requires-python", str(exc), "write a specifier such as \">=3.9\"") from None
    _license(project, root, raw, result, license_globber)
    for role in ("authors", "maintainers"):
        if role in project:
            _people(project[role], role, raw)
    if "keywords" in project:
        keywords = [expect(k, str, "project.keywords", "an array of strings") for k in
                    expect(project["keywords"], list, "project.keywords", "an array of strings")]
        if any("," in k for k in keywords):
            raise ConfigError("project.keywords", "a keyword may not contain a comma (the field is comma-separated)")
        raw["keywords"] = keywords
    if "classifiers" in project:
        raw["classifiers"] = [expect(c, str, "project.classifiers", "an array of strings") for c in
                              expect(project["classifiers"], list, "project.classifiers", "an array of strings")]
        if "license_expression" in raw and any(c.startswith("License ::") for c in raw["classifiers"]):
            raise ConfigError("project.classifiers", "`License ::` classifiers may not be used with a license "
                              "expression (PEP 639)", "remove the `License ::` classifiers")
    if "urls" in project:
        urls = expect(project["urls"], dict, "project.urls", "a table of label = URL")
        for label, url in urls.items():
            expect(url, str, f"project.urls.{label}", "a string URL")
            if len(label) > 32 or "," in label:
                raise ConfigError(f"project.urls.{label}", "labels are at most 32 characters, without commas")
        raw["project_urls"] = dict(urls)
    _dependencies(project, raw)
    _entry_points(project, result)
    for key in ("import-names", "import-namespaces"):  # PEP 794: the only reason to write metadata 2.5
        if key in project:
            values = expect(project[key], list, f"project.{key}", "an array of strings")
            raw[key.replace("-", "_")] = [expect(v, str, f"project.{key}", "an array of strings") for v in values]
            raw["metadata_version"] = "2.5"
    try:
        Metadata.from_raw(raw, validate=True)
    except Exception as exc:  # packaging raises an ExceptionGroup of InvalidMetadata
        problems = [e for e in getattr(exc, "exceptions", [exc]) if isinstance(e, InvalidMetadata)]
        if not problems:
            raise
        key = _FIELD_KEYS.get(problems[0].field, f"project ({problems[0].field})")
        raise ConfigError(key, "; ".join(str(p) for p in problems)) from None
    return result


def _version(project: Mapping[str, Any], dynamic: list[str], dynamic_version: Callable[[], str]) -> Version:
    if "version" in dynamic:
        if "version" in project:
            raise ConfigError("project.version", "is both set and listed in `dynamic`", "remove one of the two")
        text, key = dynamic_version(), "project.dynamic (version)"
    elif "version" in project:
        text, key = expect(project["version"], str, "project.version", "a string"), "project.version"
    else:
        raise ConfigError("project.version", "is required",
                          "set `version = \"0.1.0\"`, or `dynamic = [\"version\"]` with `__version__` in the package")
    try:
        return Version(text)
    except InvalidVersion:
        raise ConfigError(key, f"{text!r} is not a valid version (PEP 440)", "use a version such as \"1.0.2\"") from None


def _read_text(root: Path, relative: str, key: str) -> str:
    path = root / relative_path(relative, key)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(key, f"file {relative!r} not found in {root}") from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise ConfigError(key, f"cannot read {relative!r} as UTF-8 text: {exc}") from None


def _readme(value: Any, root: Path, raw: RawMetadata, result: ProjectMetadata) -> None:
    if isinstance(value, str):
        suffix = Path(value).suffix.lower()
        if suffix not in _README_TYPES:
            raise ConfigError("project.readme", f"cannot tell the content type of {value!r}",
                              "use a .md, .rst or .txt file, or a table with `file` and `content-type`")
        raw["description"] = _read_text(root, value, "project.readme")
        raw["description_content_type"] = _README_TYPES[suffix]
        result.readme_file = relative_path(value, "project.readme")
        return
    table = expect(value, dict, "project.readme", "a file name or a table")
    if sorted(set(table) - {"content-type"}) not in (["file"], ["text"]):
        raise ConfigError("project.readme", "a readme table needs exactly one of `file` or `text`")
    if "content-type" not in table:
        raise ConfigError("project.readme.content-type", "is required in a readme table",
                          "add content-type = \"text/markdown\" (or text/x-rst, text/plain)")
    raw["description_content_type"] = expect(table["content-type"], str, "project.readme.content-type", "a string")
    if "file" in table:
        relative = expect(table["file"], str, "project.readme.file", "a string")
        raw["description"] = _read_text(root, relative, "project.readme.file")
        result.readme_file = relative_path(relative, "project.readme.file")
    else:
        raw["description"] = expect(table["text"], str, "project.readme.text", "a string")


def _license(project: Mapping[str, Any], root: Path, raw: RawMetadata, result: ProjectMetadata,
             globber: Callable[[str, str], list[str]]) -> None:
    value = project.get("license")
    files: list[str] = []
    if isinstance(value, str):
        try:
            raw["license_expression"] = str(canonicalize_license_expression(value))
        except InvalidLicenseExpression as exc:
            raise ConfigError("project.license", str(exc),
                              "use an SPDX expression such as \"MIT\" or \"Apache-2.0 OR MIT\"") from None
    elif value is not None:  # the legacy table form, deprecated by PEP 639 but still read
        table = expect(value, dict, "project.license", "an SPDX expression (a string)")
        if sorted(table) not in (["file"], ["text"]):
            raise ConfigError("project.license", "a license table needs exactly one of `file` or `text`",
                              "prefer an SPDX expression: license = \"MIT\"")
        if "license-files" in project:
            raise ConfigError("project.license-files", "may not be used with the legacy `license` table (PEP 639)",
                              "write `license` as an SPDX expression")
        if "file" in table:
            relative = relative_path(expect(table["file"], str, "project.license.file", "a string"),
                                     "project.license.file")
            raw["license"] = _read_text(root, relative, "project.license.file")
            files.append(relative)
        else:
            raw["license"] = expect(table["text"], str, "project.license.text", "a string")
    if "license-files" in project:
        globs = project["license-files"]
        expect(globs, list, "project.license-files", "an array of glob patterns")
        for i, pattern in enumerate(globs):
            key = f"project.license-files[{i}]"
            matched = globber(expect(pattern, str, key, "a glob pattern"), key)
            if not matched:
                raise ConfigError(key, f"{pattern!r} matches no file (PEP 639 requires every pattern to match)")
            files.extend(matched)
    else:
        for pattern in DEFAULT_LICENSE_GLOBS:
            files.extend(globber(pattern, "project.license-files"))
    result.license_files = sorted(set(files))
    if result.license_files and "license" not in raw:
        raw["license_files"] = list(result.license_files)


def _people(value: Any, role: str, raw: RawMetadata) -> None:
    names, emails = [], []
    for i, person in enumerate(expect(value, list, f"project.{role}", "an array of tables")):
        key = f"project.{role}[{i}]"
        expect(person, dict, key, "a table with `name` and/or `email`")
        if not person or set(person) - {"name", "email"}:
            raise ConfigError(key, "needs `name` and/or `email`, and nothing else")
        name = expect(person.get("name", ""), str, f"{key}.name", "a string")
        email = expect(person.get("email", ""), str, f"{key}.email", "a string")
        if "," in name:
            raise ConfigError(f"{key}.name", f"{name!r} may not contain a comma (the field is comma-separated)")
        if email:
            emails.append(f"{name} <{email}>" if name else email)
        else:
            names.append(name)
    field_name = "author" if role == "authors" else "maintainer"
    if names:
        raw[field_name] = ", ".join(names)  # type: ignore[literal-required]
    if emails:
        raw[field_name + "_email"] = ", ".join(emails)  # type: ignore[literal-required]


def _requirement(text: Any, key: str) -> Requirement:
    expect(text, str, key, "a PEP 508 requirement string")
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise ConfigError(key, f"invalid requirement {text!r}: {exc}") from None


def _dependencies(project: Mapping[str, Any], raw: RawMetadata) -> None:
    requires = []
    for i, text in enumerate(expect(project.get("dependencies", []), list, "project.dependencies", "an array")):
        requires.append(str(_requirement(text, f"project.dependencies[{i}]")))
    extras = []
    optional = expect(project.get("optional-dependencies", {}), dict, "project.optional-dependencies", "a table")
    for extra, items in optional.items():
        key = f"project.optional-dependencies.{extra}"
        try:
            normalized = canonicalize_name(extra, validate=True)
        except InvalidName:
            raise ConfigError(key, f"{extra!r} is not a valid extra name") from None
        extras.append(normalized)
        for i, text in enumerate(expect(items, list, key, "an array of requirements")):
            req = _requirement(text, f"{key}[{i}]")
            marker = f'extra == "{normalized}"'
            if req.marker is not None:
                marker = f"({req.marker}) and {marker}"
            req.marker = None
            requires.append(str(Requirement(f"{req} ; {marker}")))  # the space ends a URL requirement
    if requires:
        raw["requires_dist"] = requires
    if extras:
        raw["provides_extra"] = extras


def _entry_points(project: Mapping[str, Any], result: ProjectMetadata) -> None:
    groups = [("console_scripts", "scripts", project.get("scripts", {})),
              ("gui_scripts", "gui-scripts", project.get("gui-scripts", {}))]
    table = expect(project.get("entry-points", {}), dict, "project.entry-points", "a table of groups")
    for group, entries in table.items():
        if group in ("console_scripts", "gui_scripts"):
            raise ConfigError(f"project.entry-points.{group}", "may not be declared here (PEP 621)",
                              "use [project.scripts] or [project.gui-scripts]")
        groups.append((group, f"entry-points.{group}", entries))
    for group, key, entries in groups:
        expect(entries, dict, f"project.{key}", "a table of name = \"module:object\"")
        checked = {}
        for name, value in entries.items():
            expect(value, str, f"project.{key}.{name}", "a string \"module:object\"")
            if not name or "=" in name or name != name.strip() or not _ENTRY_POINT.match(value.strip()):
                raise ConfigError(f"project.{key}.{name}", f"{name!r} = {value!r} is not a valid entry point",
                                  "write name = \"package.module:function\"")
            checked[name] = value.strip()
        if checked:
            result.entry_points[group] = checked
