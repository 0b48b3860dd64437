"""Find a script's context and its key, with the standard library only and no TOML parsing.

    found = find_context("tool.py")          # Context(kind="script", ...), or "project", or "none"
    found.key                                # names runtime-v1/<key>.json in the store

The context is the script's PEP 723 `# /// script` block, else the nearest
`pyproject.toml` upward (with its `pylock.toml`, or a workspace member's: the
workspace root's), else nothing. The key hashes
the raw text of what defines the context (never its parsed meaning: parsing is
the cold path's job), the interpreter's identity and the index settings, so two
scripts share a manifest only when they would resolve alike.
"""

import os
import sys

__all__ = ["Context", "MetadataError", "context_key", "find_context", "home", "interpreter_id", "script_block"]

FORMAT = "pkm-runtime-1"
_OPEN, _CLOSE = "# /// ", "# ///"


class MetadataError(ValueError):
    """A script's inline metadata is malformed (two script blocks, an unclosed block, a bad line)."""

    def __init__(self, path, line, what, hint):
        super().__init__(f"{path}:{line}: {what}")
        self.path, self.line, self.what, self.hint = path, line, what, hint


class Context:
    """Where a run's requirements come from.

    `kind` is "script" (a PEP 723 block: `text` is its TOML), "project" (`path` is the
    pyproject.toml, `text` its content plus that of pylock.toml beside it), or "none"
    (only on-demand imports; keyed by the script's path). `key` is the manifest's name.
    """

    __slots__ = ("kind", "path", "text", "key")

    def __init__(self, kind, path, text, key):
        self.kind, self.path, self.text, self.key = kind, path, text, key

    def __repr__(self):
        return f"Context({self.kind!r}, {self.path!r}, key={self.key[:12]!r})"


def script_block(source, path="<script>"):
    """The TOML text of the `script` block of PEP 723 inline metadata in `source`, or None.

    Follows the specification's grammar: a `# /// TYPE` line, content lines that are `#`
    alone or start with `# `, and a `# ///` line; the last `# ///` before a line that does
    not continue the block closes it. Raises MetadataError for a second `script` block or
    a block that is never closed. Cost: one pass over the lines starting with `#`.
    """
    found = None
    lines = source.splitlines()
    index, count = 0, len(lines)
    while index < count:
        line = lines[index]
        if not (line.startswith(_OPEN) and line[len(_OPEN):].strip() and line == line.rstrip()):
            index += 1
            continue
        kind = line[len(_OPEN):]
        if not all(c.isalnum() or c == "-" for c in kind):
            index += 1
            continue
        start, close, cursor = index, None, index + 1
        while cursor < count and (lines[cursor] == "#" or lines[cursor].startswith("# ")):
            if lines[cursor] == _CLOSE:
                close = cursor
            cursor += 1
        if close is None:
            if kind == "script":
                raise MetadataError(path, start + 1, "the `# /// script` block is never closed",
                                    "end the block with a line `# ///`")
            index = cursor
            continue
        if kind == "script":
            inner = [start + 1 + i for i, text in enumerate(lines[start + 1:close]) if text == line]
            if found is not None or inner:
                raise MetadataError(path, (inner or [start])[0] + 1, "a second `# /// script` block",
                                    "merge the two blocks into one")
            found = "".join(_content(text) + "\n" for text in lines[start + 1:close])
        index = close + 1
    return found


def _content(line):
    return line[2:] if line.startswith("# ") else ""


def interpreter_id():
    """What makes trees and manifests fit an interpreter: implementation, version, ABI, platform."""
    machine = os.uname().machine if hasattr(os, "uname") else ""
    return "%s-%d.%d%s-%s-%s" % (sys.implementation.cache_tag, sys.version_info[0], sys.version_info[1],
                                  getattr(sys, "abiflags", ""), sys.platform, machine)


def home():
    """The store's root as pkm's settings would find it without TOML: PKM_HOME, the user config
    file's `home` line, else `$XDG_CACHE_HOME/pkm` (default ~/.cache/pkm)."""
    value = os.environ.get("PKM_HOME")
    if value:
        return os.path.abspath(os.path.expanduser(value))
    configured = _config_home()
    if configured:
        return configured
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "pkm")


def _config_path():
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "pkm", "config.toml")


def _config_home():
    try:
        with open(_config_path(), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    for line in text.splitlines():  # `home = "..."` at top level, as pkm writes it
        key, sep, value = line.partition("=")
        if sep and key.strip() == "home" and value.strip()[:1] in ("'", '"'):
            value = value.strip()
            return os.path.abspath(os.path.expanduser(value[1:value.rfind(value[0])]))
        if line.startswith("["):
            break
    return None


def context_key(*parts):
    """The hex key of a context: sha256 over the parts, the interpreter and the index settings."""
    from hashlib import sha256

    digest = sha256()
    settings = [os.environ.get(name, "") for name in ("PKM_INDEX_URL", "PKM_EXTRA_INDEX_URL", "PKM_FIND_LINKS")]
    try:
        with open(_config_path(), "rb") as f:
            settings.append(f.read().decode("utf-8", "replace"))
    except OSError:
        pass
    for part in (FORMAT, interpreter_id(), *settings, *parts):
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        digest.update(b"%d:" % len(data) + data)
    return digest.hexdigest()


def _read_project(directory):
    """The bytes of `directory`'s pyproject.toml and, when there is one, its pylock.toml."""
    with open(os.path.join(directory, "pyproject.toml"), "rb") as f:
        text = f.read()
    lock = os.path.join(directory, "pylock.toml")
    if os.path.isfile(lock):
        with open(lock, "rb") as f:
            text += b"\0" + f.read()
    return text


def _workspace_text(directory):
    """For a project without a lock of its own: the pyproject and lock of the nearest workspace
    root above it (one that declares `[tool.pkm.workspace]`), which then define its context too;
    b"" when there is none. Cost: one stat per directory up to the root (a read per pyproject)."""
    parent = os.path.dirname(directory)
    while parent != directory:
        directory, parent = parent, os.path.dirname(parent)
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            text = _read_project(directory)
            if b"tool.pkm.workspace" in text:
                return b"\0workspace\0" + candidate.encode() + b"\0" + text
    return b""


def find_context(script=None, source=None, cwd=None, extra=()):
    """The context of `script` (a path; its `source` text if already read), or of `cwd` for
    `-m`/`-c` runs (script None). `extra` (e.g. `--with` requirements) joins the key.

    Raises MetadataError for malformed inline metadata. Cost: the script's text scan and
    one stat per directory up to the filesystem root.
    """
    if script is not None:
        if source is None:
            with open(script, encoding="utf-8") as f:
                source = f.read()
        block = script_block(source, script)
        if block is not None:
            return Context("script", os.path.abspath(script), block, context_key("script", block, *extra))
        start = os.path.dirname(os.path.abspath(script))
    else:
        start = os.path.abspath(cwd or os.getcwd())
    directory = start
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            text = _read_project(directory)
            if not os.path.isfile(os.path.join(directory, "pylock.toml")):
                text += _workspace_text(directory)
            return Context("project", candidate, text, context_key("project", candidate, text, *extra))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    where = os.path.abspath(script) if script is not None else start
    return Context("none", where, "", context_key("none", where, *extra))
