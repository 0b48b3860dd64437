"""The on-disk journal that makes a plan all-or-nothing: write-ahead steps, backups, rollback.

Layout, under the environment's prefix:

    .pkm-journal/journal.jsonl  one JSON record per line, appended and fsynced:
                                {"version": 2, "state": "applying"}   (the first line)
                                {"step": {...}}                       (a step, before it starts)
                                {"state": "committed"} / {"state": "applying"}
                                {"undone": 1}                         (the last step was undone)
    .pkm-journal/backup/<n>     every file a step replaced or removed, moved here (same filesystem)

A step is journaled (appended and fsynced) before it touches the environment, naming every
path it will create, every file it will move away and the directories it will create.
Appending keeps the cost of a plan linear in its steps (the whole journal is never
rewritten); a line cut short by a kill is the last one and is ignored: its step never
began. Undoing a step deletes what it created (unless that path's original was never moved
away), moves the backups back and removes its new directories, then appends "undone", so an
interrupted rollback resumes correctly. Payload files are not fsynced: the journal protects
against a killed process, not power loss.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from pkm.errors import PkmError

from .environment import JOURNAL_DIR

__all__ = ["Journal", "JOURNAL_DIR", "JOURNAL_FILE"]

JOURNAL_FILE = "journal.jsonl"
_VERSION = 2


def _unreadable(directory: Path, why: str) -> PkmError:
    return PkmError(f"the install journal in {directory} is unreadable", why=why,
                    hint="the environment may be half-changed; recreate it (pkm venv) and reinstall")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """One transaction on one environment. Paths in the file are relative to the prefix."""

    def __init__(self, prefix: Path, data: dict):
        self.prefix = Path(prefix)
        self.dir = self.prefix / JOURNAL_DIR
        self.backup_dir = self.dir / "backup"
        self.data = data
        self._base = os.path.join(os.path.normpath(self.prefix), "")

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    def create(cls, prefix: Path) -> "Journal":
        journal = cls(prefix, {"version": _VERSION, "state": "applying", "steps": [], "next_backup": 0})
        journal.backup_dir.mkdir(parents=True)
        journal._save({"version": _VERSION, "state": "applying"})
        _fsync_dir(journal.dir)
        return journal

    @classmethod
    def load(cls, prefix: Path) -> "Journal | None":
        """The unfinished journal of `prefix`, or None. Leftovers of a journal that never
        recorded a step (or had finished) are removed here: nothing of them needs undoing."""
        directory = Path(prefix) / JOURNAL_DIR
        if not directory.exists():
            return None
        try:
            lines = (directory / JOURNAL_FILE).read_text(encoding="utf-8").split("\n")
        except FileNotFoundError:
            shutil.rmtree(directory)
            return None
        except (ValueError, OSError) as exc:
            raise _unreadable(directory, str(exc)) from None
        records = []
        for number, line in enumerate(lines):
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                if number == len(lines) - 1:  # cut short by a kill: that record's step never began
                    break
                raise _unreadable(directory, f"line {number + 1} is not JSON") from None
        if not records:
            shutil.rmtree(directory)
            return None
        if records[0].get("version") != _VERSION:
            raise PkmError(f"the install journal in {directory} has unknown version {records[0].get('version')!r}",
                           hint="recover it with the pkm version that wrote it")
        data: dict = {"version": _VERSION, "state": "applying", "steps": [], "next_backup": 0}
        for record in records:
            if "step" in record:
                data["steps"].append(record["step"])
            elif "undone" in record:
                data["steps"].pop()
            elif "state" in record:
                data["state"] = record["state"]
        backups = [int(b) for step in data["steps"] for _, b in step.get("moved", ()) if str(b).isdigit()]
        data["next_backup"] = max(backups, default=-1) + 1
        return cls(prefix, data)

    def _save(self, record: dict) -> None:
        """Append one record durably (the journal's only kind of write)."""
        with open(self.dir / JOURNAL_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())

    # -- recording -------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        text = os.fspath(path)
        if text.startswith(self._base) and "/." not in text:  # the common case, without normpath
            return text[len(self._base):].replace(os.sep, "/")
        return os.path.relpath(path, self.prefix).replace(os.sep, "/")

    def abs(self, rel: str) -> Path:
        return self.prefix.joinpath(*rel.split("/"))

    def new_backup(self) -> str:
        name = str(self.data["next_backup"])
        self.data["next_backup"] += 1
        return name

    def add_step(self, step: dict) -> None:
        """Record a step before any of it is done (write-ahead)."""
        self._save({"step": step})
        self.data["steps"].append(step)

    def move_to_backup(self, rel: str, backup: str) -> None:
        os.rename(self.abs(rel), self.backup_dir / backup)

    # -- ending ------------------------------------------------------------------------------

    def commit(self) -> None:
        """The point of no return: after this, recovery rolls forward (cleans up) instead of back."""
        self._save({"state": "committed"})
        self.data["state"] = "committed"

    def finish(self, prune) -> None:
        """Drop the backups and the journal. `prune(paths)` removes directories a removal emptied."""
        shutil.rmtree(self.backup_dir, ignore_errors=True)
        moved = [self.abs(orig) for step in self.data["steps"] if step["op"] == "remove" for orig, _ in step["moved"]]
        prune([p for p in moved if not os.path.lexists(p)])
        os.unlink(self.dir / JOURNAL_FILE)
        shutil.rmtree(self.dir, ignore_errors=True)

    def rollback(self) -> None:
        """Undo every recorded step, newest first, then remove the journal."""
        steps = self.data["steps"]
        if self.data["state"] != "applying":
            # An interrupt may land just after commit was written; from here on, a
            # crash must resume this rollback, not roll forward.
            self._save({"state": "applying"})
            self.data["state"] = "applying"
        while steps:
            self._undo(steps[-1])
            self._save({"undone": 1})
            steps.pop()
        shutil.rmtree(self.dir)

    def _undo(self, step: dict) -> None:
        moved = {orig: backup for orig, backup in step["moved"]}
        for rel in reversed(step.get("created", [])):
            if rel in moved and not os.path.lexists(self.backup_dir / moved[rel]):
                continue  # the original was never moved away: it is still in place
            path = self.abs(rel)
            if os.path.islink(path) or os.path.isfile(path):
                os.unlink(path)
        for orig, backup in reversed(step["moved"]):
            source = self.backup_dir / backup
            if os.path.lexists(source):
                target = self.abs(orig)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
        for rel in sorted(step.get("dirs", []), key=len, reverse=True):
            path = self.abs(rel)
            cache = path / "__pycache__"
            try:
                os.rmdir(path)
            except OSError:
                # Only an empty __pycache__ (an import raced us) may stand in the way.
                try:
                    os.rmdir(cache)
                    os.rmdir(path)
                except OSError:
                    pass
