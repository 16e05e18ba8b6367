"""Read one saved error output (a file or standard input) as events for `rca diagnose`.

An excerpt is whatever a user pasted or saved: `go install` output, an apt run,
a few audit records, `journalctl` or `systemctl status` output. Its format is
detected like a file's in an incident folder, so audit records are decoded into
their fields. Lines of no known format become tool-output events.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rca.errors import SourceError
from rca.i18n import N_
from rca.model import Event

STDIN_NAME = "-"


def read_excerpt(path: str, lang: str = "en") -> list[Event]:
    """Parse the excerpt at `path` (``-`` for standard input) into events.

    `lang` is the language of skip reasons in the error raised for a file that
    cannot be read.
    """
    from rca.sources.files import FileSettings, read_bytes, read_file

    if path == STDIN_NAME:
        events, _stats = read_bytes(sys.stdin.buffer.read(), name="<stdin>", lang=lang)
        return events

    file_path = Path(path)
    if file_path.is_dir():
        raise SourceError(N_("%(path)s is a folder; diagnose takes one saved error output per "
                             "file. Use rca investigate for a folder of logs."), path=path)
    if not file_path.is_file():
        raise SourceError(N_("%(path)s: no such file. Give a saved error output, or - to "
                             "read standard input."), path=path)
    events, stats = read_file(file_path, settings=FileSettings(lang=lang))
    if stats.skipped:
        raise SourceError(N_("%(path)s: not read: %(reason)s"), path=path, reason=stats.skipped)
    return events
