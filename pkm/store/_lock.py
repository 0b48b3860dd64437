"""Advisory file locks shared by every process using the store, with a bounded wait."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from pkm.errors import PkmError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    # Windows would use msvcrt.locking() on a byte far past the holder record
    # (its locks are mandatory, so locking byte 0 would hide the record from
    # waiters). pkm's scope is POSIX; until then locking fails loudly below.
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileLock", "LockTimeoutError"]


class LockTimeoutError(PkmError):
    """Another process held a store lock for longer than we were willing to wait."""


class FileLock:
    """An exclusive (or shared) `flock` on `path`, held for a `with` block.

    Waits at most `timeout` seconds, polling; on timeout the error names the
    holder (pid and command line, written into the lock file by whoever holds
    it exclusively). flock locks belong to an open file, so two threads of one
    process exclude each other as two processes do, and the kernel releases a
    lock whose holder died: there are no stale locks to break. The lock file is
    kept after release; whoever deletes one must hold it (acquire checks that the
    locked file is still the one at `path`, and retries if it was replaced).
    `what` completes the timeout message "timed out ... waiting for <what>".
    """

    def __init__(self, path: Path, *, timeout: float = 60.0, shared: bool = False, what: str = ""):
        self.path = Path(path)
        self.timeout = timeout
        self.shared = shared
        self.what = what or f"the lock {self.path}"
        self._fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            raise PkmError("file locks are not supported on this platform", hint="run pkm on a POSIX system")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        op = (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        while True:
            fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, op)
            except (BlockingIOError, PermissionError):
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise self._timeout_error() from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
                continue
            except BaseException:
                os.close(fd)
                raise
            if self._still_current(fd):
                break
            os.close(fd)  # deleted or replaced while we waited: lock the file that is there now
        self._fd = fd
        if not self.shared:
            record = {"pid": os.getpid(), "command": _command_line(), "since": time.time()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if not self.shared:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def holder(self) -> dict[str, Any] | None:
        """The record of the exclusive holder, if the file has a readable one."""
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def _still_current(self, fd: int) -> bool:
        try:
            st = os.stat(str(self.path))
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)

    def _timeout_error(self) -> LockTimeoutError:
        record = self.holder()
        if record and "pid" in record:
            since = record.get("since")
            held = f", for {time.time() - since:.0f} s" if isinstance(since, (int, float)) else ""
            who = f"held by pid {record['pid']} (`{record.get('command', '?')}`){held}"
        else:
            who = "held by another process that did not say who it is (a shared holder, or one just starting)"
        return LockTimeoutError(
            f"timed out after {self.timeout:g} s waiting for {self.what}",
            why=f"{self.path} is {who}",
            hint="wait for that process to finish (or stop it if it is stuck), then run the command again",
        )


def _command_line() -> str:
    argv = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    text = " ".join(argv)
    return text if len(text) <= 300 else text[:297] + "..."
