"""The shared vocabulary of the analyzer: event, origin, transaction, diagnosis.

Every stage speaks in these types. Parsers and sources produce `Event`s, alignment
groups them into `Transaction`s, detection marks the first error, and diagnosis
attaches a `Diagnosis`. Words a person reads (titles, fix texts) are not stored
here as final strings: a diagnosis carries the cause id and the values taken from
the evidence, and the report renders them in the reader's language.

Timestamps are POSIX seconds (float, UTC). A float keeps microsecond precision for
any date this tool meets, and is far cheaper to compare and sort than `datetime`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any


class SourceKind(StrEnum):
    """The kind of log an event came from."""

    INSTALLER = "installer"
    AUDIT = "audit"
    JOURNALD = "journald"
    SYSLOG = "syslog"
    TOOL_OUTPUT = "tool-output"


class Level(IntEnum):
    """Severity of an event, ordered so that `level >= Level.ERROR` means failure."""

    DEBUG = 10
    INFO = 20
    NOTICE = 25
    WARNING = 30
    ERROR = 40
    CRITICAL = 50

    @classmethod
    def from_name(cls, name: str) -> Level | None:
        """Map a level word as logs spell it (``err``, ``Warn``, ``FATAL``...) to a level."""
        return _LEVEL_WORDS.get(name.strip().strip("[]<>:").lower())


_LEVEL_WORDS: dict[str, Level] = {
    "trace": Level.DEBUG,
    "debug": Level.DEBUG,
    "dbg": Level.DEBUG,
    "info": Level.INFO,
    "inf": Level.INFO,
    "information": Level.INFO,
    "notice": Level.NOTICE,
    "warn": Level.WARNING,
    "warning": Level.WARNING,
    "wrn": Level.WARNING,
    "error": Level.ERROR,
    "err": Level.ERROR,
    "erro": Level.ERROR,
    "fail": Level.ERROR,
    "failed": Level.ERROR,
    "crit": Level.CRITICAL,
    "critical": Level.CRITICAL,
    "fatal": Level.CRITICAL,
    "ftl": Level.CRITICAL,
    "alert": Level.CRITICAL,
    "emerg": Level.CRITICAL,
    "emergency": Level.CRITICAL,
    "panic": Level.CRITICAL,
}


@dataclass(frozen=True, slots=True)
class Origin:
    """The location of an event's raw record, for finding it again.

    For files, `path` and the 1-based `line` (the first line of a multi-line
    record). For remote stores, `path` is a locator such as ``es://INDEX/_id`` or
    ``loki://{labels}@NANOSECONDS`` and `line` is None.
    """

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(slots=True)
class Event:
    """One normalized log record.

    `sequence` is the position of the record in its source (file order, or the
    order a server returned). Sorting uses it to break timestamp ties, so it must
    increase with the origin order within one source.
    """

    timestamp: float | None
    node: str
    kind: SourceKind
    level: Level
    message: str
    raw: str
    origin: Origin
    sequence: int = 0
    transaction_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int | None:
        """The process exit status the record reports, if any (``exit=``, ``EXIT_STATUS``)."""
        value = self.fields.get("exit_code")
        return value if isinstance(value, int) else None

    @property
    def is_error(self) -> bool:
        """True for error and fatal records and for a reported non-zero exit status."""
        if self.level >= Level.ERROR:
            return True
        code = self.exit_code
        return code is not None and code != 0

    def sort_key(self) -> tuple[float, int, str]:
        """Order by time, then by origin order. Events without a time sort first.

        Sources number events in one sequence across all their files or pages, so
        `sequence` alone breaks ties. The path only separates sources that were
        numbered independently.
        """
        return (self.timestamp if self.timestamp is not None else float("-inf"),
                self.sequence, self.origin.path)

    def isotime(self) -> str:
        """Return the timestamp as ISO-8601 UTC with milliseconds, or an empty string."""
        return format_timestamp(self.timestamp)


def format_timestamp(timestamp: float | None) -> str:
    """Format POSIX seconds as ``2026-12-03T02:14:07.123Z``, or ``""`` for None."""
    if timestamp is None:
        return ""
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class FileStats:
    """Line accounting for one input file.

    Every line read ends in exactly one bucket, so
    ``lines_read == parsed + unparsed + continuation + duplicates + skimmed``
    holds for a file that was read. `skimmed` counts lines that the streaming
    scan read and checked for markers but did not parse, because they could not
    change the result. A skipped file has `skipped` set to the reason and reads
    no lines.
    """

    path: str
    format: str = ""
    node: str = ""
    lines_read: int = 0
    parsed: int = 0
    unparsed: int = 0
    continuation: int = 0
    duplicates: int = 0
    skimmed: int = 0
    timestamps_inferred: int = 0
    clock_steps: int = 0
    """Backward steps of the file's clock larger than the tolerance of `rca.timeorder`."""
    skipped: str | None = None
    warnings: list[str] = field(default_factory=list)
    unparsed_examples: list[tuple[int, str]] = field(default_factory=list)

    def note_unparsed(self, line_number: int, text: str, keep: int = 3) -> None:
        """Count a line no rule of the format could read, keeping a few examples."""
        self.unparsed += 1
        if len(self.unparsed_examples) < keep:
            self.unparsed_examples.append((line_number, text[:200]))


@dataclass(slots=True)
class Fix:
    """One suggested remedy, already filled with values from the evidence."""

    text: str
    command: str | None = None


@dataclass(slots=True)
class Diagnosis:
    """The root cause assigned to a failed transaction or to one excerpt.

    `cause` is a stable cause id (``network.timeout``) or ``unknown``.
    `decided_by` is ``rule:<rule name>``, ``classifier`` or ``none``.
    `values` contains the named values taken from the evidence (a path, an SELinux
    context, a Go version). Titles and fixes are rendered from them per language.
    `remedy` is ``auto`` when the fix is safe to automate, ``manual`` otherwise.
    """

    cause: str
    confidence: float
    decided_by: str
    evidence: list[Event] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    remedy: str = "manual"
    severity: str = "error"
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    @property
    def is_unknown(self) -> bool:
        return self.cause == UNKNOWN_CAUSE


UNKNOWN_CAUSE = "unknown"


@dataclass(slots=True)
class Transaction:
    """One install run: the events carrying its id plus same-node context events.

    `events` is sorted by `Event.sort_key`. `first_error` is the earliest causal
    event. It may be a context event (an AVC denial) rather than one of the
    installer's own lines. `symptoms` are the later error events.
    """

    id: str
    events: list[Event] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    start: float | None = None
    end: float | None = None
    failed: bool = False
    first_error: Event | None = None
    symptoms: list[Event] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    complete: bool = True
    """False when only the run's own boundary and error records were read (the
    streaming path does so for successful runs), so `events` is partial."""
    ambiguous_order: list[Event] = field(default_factory=list)
    """Errors on other nodes that may have come before `first_error`: their
    distance from it is within the clock-offset uncertainty of the two nodes."""


@dataclass(slots=True)
class Investigation:
    """Everything one `rca investigate` run found, ready to render.

    `transactions` contains failed and successful runs, failed first in time order.
    `unassigned_events` counts events that joined no transaction (no id and
    outside every run's window); it is None when the source did not count them.
    `warnings` are shown at the top of the report (partial results from a
    server, files that could not be read).
    """

    sources: list[str]
    transactions: list[Transaction] = field(default_factory=list)
    files: list[FileStats] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generated_at: float = 0.0
    unassigned_events: int | None = 0
    window_margin: float = 0.0
    clock_offsets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per node, the estimated or configured clock offset and its uncertainty in
    seconds. The offset is positive when the node's clock runs ahead; the
    uncertainty is infinite when only a one-sided bound was available."""

    @property
    def failed(self) -> list[Transaction]:
        return [txn for txn in self.transactions if txn.failed]

    @property
    def succeeded(self) -> list[Transaction]:
        return [txn for txn in self.transactions if not txn.failed]

    @property
    def nodes(self) -> list[str]:
        return sorted({node for txn in self.transactions for node in txn.nodes})
