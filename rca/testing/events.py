"""Event builders shared by the tests and the benchmarks."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from rca.model import Event, Level, Origin, SourceKind

_sequence = itertools.count(1)


def at(clock: str, day: str = "2026-12-03") -> float:
    """POSIX seconds for ``HH:MM:SS[.fff]`` UTC on `day`."""
    return dt.datetime.fromisoformat(f"{day}T{clock}+00:00").timestamp()


def make_event(message: str, *, clock: str | None = "02:00:00", node: str = "node-1",
               kind: SourceKind = SourceKind.INSTALLER, level: Level = Level.INFO,
               txn: str | None = None, path: str | None = None, line: int | None = None,
               **fields: Any) -> Event:
    """Build an event with sensible defaults; `clock` None gives no timestamp."""
    sequence = next(_sequence)
    return Event(
        timestamp=at(clock) if clock is not None else None,
        node=node,
        kind=kind,
        level=level,
        message=message,
        raw=message,
        origin=Origin(path or f"{node}/{kind.value}.log", line if line is not None else sequence),
        sequence=sequence,
        transaction_id=txn,
        fields=dict(fields),
    )
