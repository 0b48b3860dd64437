"""What a command receives besides its arguments: the console, settings, and shared clients."""

from __future__ import annotations

from pkm.ui import Console

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    import argparse
    from pathlib import Path
    from typing import Any

__all__ = ["Context"]


class Context:
    """Per-run services, created on first use and closed when the command ends.

    Settings are read lazily (a command that needs none pays nothing); one HTTP
    client is created per run and passed down, never held in a global.
    """

    def __init__(self, args: argparse.Namespace, console: Console):
        self.args = args
        self.console = console
        self._settings = None
        self._http = None
        self._store = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()

    @property
    def settings(self):
        if self._settings is None:
            from pkm.cli._options import cli_settings
            from pkm.project.settings import load_settings

            self._settings = load_settings(cli_settings(self.args), warn=self.console.warn)
        return self._settings

    def http(self) -> Any:
        """The run's pooled HTTP client, configured from the settings."""
        if self._http is None:
            from pkm.http import HttpClient

            s = self.settings
            self._http = HttpClient(timeout=s.http_timeout, offline=s.offline, cache_dir=self.store().bucket("index-v1"))
        return self._http

    def index(self) -> Any:
        """A SimpleIndex over the configured indexes and find-links, sharing the run's HTTP client."""
        from pkm.index import SimpleIndex

        s = self.settings
        return SimpleIndex(self.http(), s.index_urls, find_links=s.find_links, tmp_dir=self.tmp_dir(),
                           metadata_dir=self.store().bucket("metadata-v1"), parsed_dir=self.store().bucket("pages-v1"),
                           keep_wheel=self._keep_wheel)

    def _keep_wheel(self, sha256: str, wheel: "bytes | Path") -> None:
        """A whole wheel the index fetched instead of a range (its bytes, or a file to take over): into
        the store, so installing it downloads nothing more (an unused one goes with `pkm store gc`).
        Best effort: a failure costs a download."""
        import io

        from pkm.errors import PkmError

        try:
            if isinstance(wheel, bytes):
                self.store().add_blob(io.BytesIO(wheel), sha256)
            else:
                self.store().add_blob(wheel, sha256, move=True)
        except (OSError, PkmError):
            pass

    def store(self) -> Any:
        """The store under PKM_HOME (created on first write; a bad PKM_HOME is a clear error)."""
        if self._store is None:
            from pkm.store import Store

            self._store = Store(self.settings.home)
        return self._store

    def tmp_dir(self) -> Path:
        """Staging space on the store's filesystem (so renames are atomic)."""
        return self.store().tmp
