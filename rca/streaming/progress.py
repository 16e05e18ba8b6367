"""A progress bar on standard error for the two phases of a streaming investigation.

The bar shows files done, bytes read, the rate and the time left. It is drawn only
when standard error is a terminal and the caller did not ask for quiet output, so
piped and scripted runs print nothing extra.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class ScanProgress:
    """Files and bytes done per phase; does nothing when disabled."""

    def __init__(self, *, enabled: bool) -> None:
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[files_done]}/{task.fields[files]}"),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
        self._task: TaskID | None = None

    @staticmethod
    def wanted(quiet: bool) -> bool:
        """True when a bar should be drawn: not quiet, and standard error is a terminal."""
        return not quiet and sys.stderr.isatty()

    def __enter__(self) -> ScanProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def phase(self, description: str, files: int, total_bytes: int) -> None:
        """Start a new phase of `files` files holding `total_bytes` bytes."""
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(description, total=total_bytes, files=files,
                                             files_done=0)

    def advance(self, size: int) -> None:
        """Count one more file of `size` bytes as done."""
        if self._progress is not None and self._task is not None:
            done = self._progress.tasks[-1].fields["files_done"] + 1
            self._progress.update(self._task, advance=size, files_done=done)
