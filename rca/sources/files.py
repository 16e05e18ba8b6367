"""Log files on disk: incident folders, node folders and single files.

A folder given as an argument is an incident: each sub-folder directly under it
is a node (``INCIDENT/<node>/...``, read recursively), and files directly inside
it take their node from host fields in the records (``_HOSTNAME``, ``node=``, the
syslog host). A folder without sub-folders is one node named after the folder.
A single file takes its node from host fields, else from its parent folder.

Files are read in sorted name order, so event sequence numbers are the same on
every run. Rotated (``installer.log.1``) and compressed (``.gz``, ``.bz2``,
``.xz``, recognized by their magic bytes) files are read like the others.

Lines are split on ``\\n`` only: `str.splitlines` also splits on 0x1D and would
cut ENRICHED audit records. A trailing ``\\r`` is dropped, NUL bytes are removed
and invalid UTF-8 is replaced. A line longer than `MAX_LINE_BYTES` is cut to that
length, which ``fields["truncated"]`` and a warning record. A run of NUL bytes at
the start of a line, as a writer that kept its offset after a copytruncate
rotation leaves, is dropped before the length is checked.

A file that cannot be read (no permission, binary content, an unsupported
archive, a symbolic link loop) is reported in `FileStats.skipped` and the other
files are still read. A damaged compressed file yields the lines before the
damage and a warning. Invalid UTF-8, NUL bytes, a last line without a line
ending and an empty file each add a warning, so the report names every damaged
file.

After parsing, each file's records are kept in file order where its clock
stepped back (`rca.timeorder`). Records already read from another file or
earlier in the same file are dropped as duplicates (`rca.dedupe`), and the file
that contains the later copy counts the copy's lines in `FileStats.duplicates`.
`read_paths` then checks the years of syslog records against the dated records
of their node (`rca.years`).
"""

from __future__ import annotations

import bz2
import contextlib
import dataclasses
import datetime as dt
import gzip
import io
import itertools
import logging
import lzma
import os
import time
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

from rca import i18n
from rca.dedupe import Deduplicator
from rca.errors import SourceError
from rca.i18n import N_
from rca.model import Event, FileStats
from rca.parsers.base import ParseContext, detect_format, get_parser
from rca.timeorder import DEFAULT_TOLERANCE, TimeRepairs, restore_file_order
from rca.years import YearShift, anchor_years

logger = logging.getLogger(__name__)

MAX_LINE_BYTES = 1 << 20
SAMPLE_LINES = 64
SAMPLE_BYTES = 64 * 1024
# A first block with more NUL bytes than this share is a binary file.
BINARY_NUL_SHARE = 0.10
# ... or with more control bytes (other than tab, newline, CR, ESC, form feed,
# and the audit ENRICHED separator 0x1D) than this share.
BINARY_CONTROL_SHARE = 0.30

_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)
_CONTROL_BYTES = tuple(
    byte for byte in range(32) if byte not in (0, 9, 10, 12, 13, 27, 0x1D)
)
# Skip reasons and warnings a report shows, translated with `FileSettings.lang`.
_PERMISSION_DENIED = N_("permission denied")
_BINARY_NUL = N_("binary file: %(count)s NUL bytes in the first %(size)s bytes")
_BINARY_CONTROL = N_("binary file: %(count)s control bytes in the first %(size)s bytes")
_BROKEN_LINK = N_("broken or looping symbolic link")
_NOT_REGULAR = N_("not a regular file")
_FOLDER_LOOP = N_("folder already read (symbolic link loop)")
_CANNOT_LIST = N_("cannot list folder: %(reason)s")
_SAME_FILE = N_("same file as %(path)s")
_NOT_A_LOG = N_("not a log file (%(suffix)s); name it on the command line to read it anyway")

# Documents and pictures that people leave next to the logs of an incident (notes,
# spreadsheets, screenshots). They are skipped when a folder is walked, because a
# note quoting "permission denied" would otherwise become an event. A file named
# on the command line is always read.
_NOT_LOG_SUFFIXES = frozenset({
    ".md", ".rst", ".tsv", ".csv", ".html", ".htm", ".pdf", ".doc", ".docx", ".xlsx",
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp",
})
_READ_STOPPED = N_("read stopped after line %(line)s: %(error)s")
_LINES_CUT = N_("%(count)s line(s) longer than %(limit)s bytes were cut to that length, "
                "the first at line %(line)s")
_NO_SUCH_PATH = N_("%(path)s: no such file or folder. Give an incident folder or a log file.")
_EMPTY_FILE = N_("empty file")
_INVALID_UTF8 = N_("%(count)s line(s) with invalid UTF-8 were read with U+FFFD in place of "
                   "the invalid bytes, the first at line %(line)s")
_NUL_BYTES = N_("%(count)s NUL byte(s) removed, the first at line %(line)s")
_NO_LINE_ENDING = N_("line %(line)s has no line ending, so the file may have been cut while it "
                     "was written and its last record may be incomplete")
_CLOCK_STEPS = N_("the clock stepped back %(count)s time(s), first on %(node)s by %(seconds)s s "
                  "at line %(line)s, so the records before each step were moved back by the "
                  "size of the step")
_OUT_OF_ORDER = N_("%(count)s record(s) more than %(tolerance)s s out of time order kept their "
                   "place in the file, the first at line %(line)s")
_YEAR_FROM_NODE = N_("%(count)s record(s) of %(node)s were moved by %(years)s year(s) to match "
                     "the node's dated records, because the file's modification time is not "
                     "the time of its last record")
_YEAR_FROM_INCIDENT = N_("%(count)s record(s) of %(node)s were moved by %(years)s year(s) to "
                         "match the dated records of the other nodes, because the file's "
                         "modification time is not the time of its last record")
_UNSUPPORTED_MAGIC = (
    (b"\x28\xb5\x2f\xfd", N_("zstd-compressed file; decompress it first (unzstd)")),
    (b"PK\x03\x04", N_("zip archive; extract it first")),
    (b"7z\xbc\xaf\x27\x1c", N_("7z archive; extract it first")),
    (b"LPKSHHRH", N_("binary journal file; export it with journalctl -o json")),
)
_EXPORT_FORMAT = "journald-export"


class _Stream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


def find_decompressor(magic: bytes) -> Callable[[Path | io.BytesIO], _Stream] | None:
    """Return the reader for a compressed file or buffer with these magic bytes, or None."""
    if magic.startswith(b"\x1f\x8b"):
        return _open_gzip
    if magic.startswith(b"BZh"):
        return lambda source: bz2.BZ2File(source, "rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lambda source: lzma.LZMAFile(source, "rb")
    return None


def _open_gzip(source: Path | io.BytesIO) -> _Stream:
    if isinstance(source, Path):
        return gzip.GzipFile(source, "rb")
    return gzip.GzipFile(fileobj=source, mode="rb")


@dataclass(frozen=True, slots=True)
class FileSettings:
    """Settings for reading files: time zones, a format override and the message language.

    `node_timezones` maps a node name to the zone of its stamps that carry none,
    and other nodes use `default_timezone`. `format` forces one format for every
    file instead of detecting it. `lang` (``en`` or ``zh-CN``) is the language of
    skip reasons and warnings in `FileStats`. `clock_step_tolerance` is how many
    seconds a record may be earlier than the one before it in its file before
    `rca.timeorder` repairs the order.
    """

    default_timezone: dt.tzinfo = dt.UTC
    node_timezones: Mapping[str, dt.tzinfo] = field(default_factory=dict)
    format: str | None = None
    lang: str = i18n.ENGLISH
    clock_step_tolerance: float = DEFAULT_TOLERANCE

    def timezone_for(self, node: str) -> dt.tzinfo:
        return self.node_timezones.get(node, self.default_timezone)


@dataclass(frozen=True, slots=True)
class LogFile:
    """A file found under the given paths, with its display path and node.

    `display` is the path relative to the incident folder argument, prefixed by
    the argument's name (``incident-42/node-01/audit.log``). It becomes the origin
    path of the file's events. `skipped` is set when the file cannot be read.
    """

    path: Path
    display: str
    node: str = ""
    default_node: str = ""
    skipped: str | None = None


class UnreadableFile(Exception):
    """A file that is skipped; the message is the English reason, a catalog message id."""


@dataclass(slots=True)
class _ReadState:
    """State shared by the reads of one call: sequence numbers, seen records, file times."""

    sequence: Iterator[int] = field(default_factory=itertools.count)
    deduplicator: Deduplicator = field(default_factory=Deduplicator)
    modification_times: dict[str, float] = field(default_factory=dict)


def read_paths(
    paths: Sequence[Path], settings: FileSettings
) -> tuple[list[Event], list[FileStats]]:
    """Read every file under `paths`; returns the events and one `FileStats` per file.

    Unlike `iter_paths`, this also checks inferred syslog years against the dated
    records of each node, which needs every event first.
    """
    stats: list[FileStats] = []
    state = _ReadState()
    events = list(iter_paths(paths, settings, stats, state=state))
    _anchor_years(events, stats, state, settings)
    return events, stats


def iter_paths(
    paths: Sequence[Path], settings: FileSettings, stats: list[FileStats], *,
    state: _ReadState | None = None,
) -> Iterator[Event]:
    """Stream the events of every file under `paths`, appending each file's stats to `stats`.

    A record already yielded from an earlier file is dropped as a duplicate.
    Raises SourceError when a path does not exist.
    """
    state = state or _ReadState()
    for log_file in find_files(paths, settings.lang):
        file_stats = FileStats(path=log_file.display, node=log_file.node)
        stats.append(file_stats)
        if log_file.skipped is not None:
            file_stats.skipped = log_file.skipped
            logger.debug("skipped %s: %s", log_file.display, log_file.skipped)
            continue
        yield from iter_file_events(log_file, file_stats, settings, state.sequence, state=state)


def read_file(
    path: Path, node: str = "", format: str | None = None, *,
    settings: FileSettings | None = None,
) -> tuple[list[Event], FileStats]:
    """Read one file; without `node`, the node comes from host fields or the parent folder."""
    settings = settings or FileSettings()
    if format is not None:
        settings = dataclasses.replace(settings, format=format)
    log_file = LogFile(path, path.name, node=node, default_node=_folder_name(path.parent))
    stats = FileStats(path=log_file.display, node=node)
    state = _ReadState()
    events = list(iter_file_events(log_file, stats, settings, state.sequence, state=state))
    _anchor_years(events, [stats], state, settings)
    return events, stats


def read_bytes(
    data: bytes, name: str = "<stdin>", node: str = "", format: str | None = None, *,
    lang: str = i18n.ENGLISH,
) -> tuple[list[Event], FileStats]:
    """Read log text held in memory (standard input) as if it were a file called `name`."""
    stats = FileStats(path=name, node=node)
    context = ParseContext(path=name, node=node, stats=stats, reference_time=time.time())
    translate = i18n.gettext(lang)
    reader = _StreamReader(context, format, translate)
    events = list(reader.events(lambda: _open_bytes(data), name))
    events = _clean_file(events, context, DEFAULT_TOLERANCE, Deduplicator(), translate)
    for sequence, event in enumerate(events):
        event.sequence = sequence
    return events, stats


def iter_file_events(
    log_file: LogFile, stats: FileStats, settings: FileSettings, sequence: Iterator[int], *,
    state: _ReadState | None = None,
) -> Iterator[Event]:
    """Parse one file, counting into `stats`; sequence numbers are drawn from `sequence`.

    The file's events are held until its last line is read, because a clock step
    found there moves every earlier record of the file (`rca.timeorder`).
    """
    translate = i18n.gettext(settings.lang)
    try:
        mtime = log_file.path.stat().st_mtime
    except OSError as error:
        stats.skipped = unreadable_reason(error, translate)
        logger.warning("cannot read %s: %s", log_file.display, error)
        return
    state = state or _ReadState()
    state.modification_times[log_file.display] = mtime
    context = ParseContext(
        path=log_file.display, node=log_file.node, default_node=log_file.default_node,
        stats=stats, reference_time=mtime, tz=settings.timezone_for(log_file.node),
    )
    reader = _StreamReader(context, settings.format, translate)
    events = list(reader.events(lambda: _open_path(log_file.path), log_file.path.name))
    for event in events:
        if event.origin.line in reader.truncated:
            event.fields["truncated"] = True
    events = _clean_file(events, context, settings.clock_step_tolerance, state.deduplicator,
                         translate)

    nodes: set[str] = set()
    for event in events:
        event.sequence = next(sequence)
        nodes.add(event.node)
        yield event
    if not stats.node and len(nodes) == 1:
        stats.node = nodes.pop()
    logger.debug("read %s: %d lines as %s", log_file.display, stats.lines_read, stats.format)


def _clean_file(events: list[Event], context: ParseContext, tolerance: float,
                deduplicator: Deduplicator, translate: i18n.Translator) -> list[Event]:
    """Repair the time order of one file's events and drop records seen before."""
    repairs = restore_file_order(events, tolerance)
    _note_repairs(repairs, context.stats, tolerance, translate)

    def count_duplicate(event: Event) -> None:
        stats = context.stats
        parsed, continuation = context.take_record_lines(event.origin.line)
        parsed = min(parsed, stats.parsed)
        continuation = min(continuation, stats.continuation)
        stats.parsed -= parsed
        stats.continuation -= continuation
        stats.duplicates += parsed + continuation

    return list(deduplicator.filter(events, count_duplicate))


def _note_repairs(repairs: TimeRepairs, stats: FileStats, tolerance: float,
                  translate: i18n.Translator) -> None:
    stats.clock_steps += len(repairs.steps)
    if repairs.steps:
        first = min(repairs.steps, key=lambda step: step.line or 0)
        stats.warnings.append(translate(_CLOCK_STEPS) % {
            "count": len(repairs.steps), "node": first.node or "?",
            "seconds": f"{first.seconds:.3f}", "line": first.line,
        })
    if repairs.out_of_order:
        stats.warnings.append(translate(_OUT_OF_ORDER) % {
            "count": len(repairs.out_of_order), "tolerance": f"{tolerance:g}",
            "line": min(event.origin.line or 0 for event in repairs.out_of_order),
        })


def _anchor_years(events: list[Event], stats: list[FileStats], state: _ReadState,
                  settings: FileSettings) -> None:
    shifts = anchor_years(events, state.modification_times, settings.timezone_for)
    if not shifts:
        return
    translate = i18n.gettext(settings.lang)
    by_path = {item.path: item for item in stats}
    for shift in shifts:
        file_stats = by_path.get(shift.path)
        if file_stats is not None:
            file_stats.warnings.append(_year_warning(shift, translate))


def _year_warning(shift: YearShift, translate: i18n.Translator) -> str:
    template = _YEAR_FROM_NODE if shift.reference == "node" else _YEAR_FROM_INCIDENT
    return translate(template) % {"count": shift.count, "node": shift.node or "?",
                                  "years": f"{shift.years:+d}"}


class _RawLine(NamedTuple):
    """One line as read: its bytes, whether it was cut, and the NUL bytes dropped before it."""

    data: bytes
    truncated: bool
    nul_prefix: int


@dataclass(slots=True)
class _Damage:
    """Damage found while reading lines, for the warnings of `FileStats`."""

    invalid_lines: int = 0
    first_invalid: int = 0
    nul_bytes: int = 0
    first_nul: int = 0
    unterminated_line: int = 0

    def note_nul(self, line: int, count: int) -> None:
        if count:
            self.nul_bytes += count
            self.first_nul = self.first_nul or line

    def note_invalid(self, line: int) -> None:
        self.invalid_lines += 1
        self.first_invalid = self.first_invalid or line


class _StreamReader:
    """Reads one stream: sniffs its format, splits its lines and runs the parser.

    Skip reasons and warnings go to the context's `FileStats`, in the language of
    `translate`. `truncated` collects the numbers of lines cut to `MAX_LINE_BYTES`.
    """

    def __init__(self, context: ParseContext, format: str | None,
                 translate: i18n.Translator) -> None:
        self._context = context
        self._stats = context.stats
        self._format = format
        self._ = translate
        self._stopped = False
        self._damage = _Damage()
        self.truncated: set[int] = set()

    def events(self, opener: Callable[[], _Stream], name: str) -> Iterator[Event]:
        """Open the stream with `opener` and parse it; `name` is the file name for sniffing."""
        try:
            stream = opener()
        except (UnreadableFile, OSError) as error:
            self._stats.skipped = unreadable_reason(error, self._)
            logger.warning("cannot read %s: %s", self._context.path, error)
            return
        with contextlib.closing(stream):
            sample = list(self._raw_lines(stream, SAMPLE_LINES))
            parser_name = self._choose_format(sample, name)
            if parser_name is None:
                return
            parser = get_parser(parser_name)
            if parser.parse is not None:
                lines = self._numbered(itertools.chain(sample, self._raw_lines(stream)))
                yield from parser.parse(lines, self._context)
                self._note_damage()
                return
        if parser.parse_bytes is not None:
            # A byte parser reads from the start, so the stream is opened again.
            with contextlib.closing(opener()) as fresh:
                yield from parser.parse_bytes(fresh, self._context)
            self._note_empty()

    def _choose_format(self, sample: list[_RawLine], name: str) -> str | None:
        """Return the format of the first lines, or None (and a skip reason) for binary data."""
        chosen = self._format or detect_format(name, [_decode(line.data) for line in sample])
        if chosen != _EXPORT_FORMAT:
            reason = binary_reason(b"".join(line.data for line in sample), self._)
            if not sample and self._damage.nul_bytes:
                # A file of nothing but NUL bytes (a zeroed file) has no text to read.
                size = min(self._damage.nul_bytes, SAMPLE_BYTES)
                reason = self._(_BINARY_NUL) % {"count": size, "size": size}
            if reason is not None:
                self._stats.skipped = reason
                logger.debug("skipped %s: %s", self._context.path, reason)
                return None
        self._stats.format = chosen
        return chosen

    def _raw_lines(self, stream: _Stream, limit: int | None = None) -> Iterator[_RawLine]:
        """Yield the lines split on ``\\n``. A read error ends them with a warning."""
        count = 0
        while not self._stopped and (limit is None or count < limit):
            # The sample is read before any line is counted in `lines_read`, and
            # later lines are counted as the parser takes them.
            lines_before = max(self._stats.lines_read, count)
            try:
                line = _read_line(stream)
            except _READ_ERRORS as error:
                self._read_stopped(lines_before, error)
                return
            if not line.data:
                # NUL bytes after the last line ending, as a zeroed end of file has.
                self._damage.note_nul(lines_before + 1, line.nul_prefix)
                return
            count += 1
            yield line

    def _read_stopped(self, line: int, error: BaseException) -> None:
        self._stopped = True
        warning = self._(_READ_STOPPED) % {"line": line, "error": error}
        self._stats.warnings.append(warning)
        logger.warning("%s: read stopped after line %d: %s", self._context.path, line, error)

    def _numbered(self, lines: Iterable[_RawLine]) -> Iterator[tuple[int, str]]:
        stats = self._stats
        damage = self._damage
        for number, (raw, was_truncated, nul_prefix) in enumerate(lines, start=1):
            stats.lines_read += 1
            if was_truncated:
                self.truncated.add(number)
            elif not raw.endswith(b"\n"):
                damage.unterminated_line = number
            damage.note_nul(number, nul_prefix + raw.count(0))
            text, valid = _decode_checked(raw)
            if not valid:
                damage.note_invalid(number)
            yield number, text

    def _note_damage(self) -> None:
        warnings = self._stats.warnings
        if self.truncated:
            params = {"count": len(self.truncated), "limit": MAX_LINE_BYTES,
                      "line": min(self.truncated)}
            warnings.append(self._(_LINES_CUT) % params)
        damage = self._damage
        if damage.invalid_lines:
            warnings.append(self._(_INVALID_UTF8) % {"count": damage.invalid_lines,
                                                     "line": damage.first_invalid})
        if damage.nul_bytes:
            warnings.append(self._(_NUL_BYTES) % {"count": damage.nul_bytes,
                                                  "line": damage.first_nul})
        if damage.unterminated_line and not self._stopped:
            warnings.append(self._(_NO_LINE_ENDING) % {"line": damage.unterminated_line})
        self._note_empty()

    def _note_empty(self) -> None:
        if self._stats.lines_read == 0 and not self._stopped:
            self._stats.warnings.append(self._(_EMPTY_FILE))


def _read_line(stream: _Stream) -> _RawLine:
    """Read one line of at most `MAX_LINE_BYTES`, dropping a run of NUL bytes before it.

    A writer that does not open its log in append mode keeps writing at its old
    offset after a copytruncate rotation, so the file starts with as many NUL
    bytes as it had before. The run is dropped before the length check, so the
    first real line is kept whole.
    """
    limit = MAX_LINE_BYTES + 1
    line = stream.readline(limit)
    dropped = 0
    while line.startswith(b"\x00"):
        text = line.lstrip(b"\x00")
        dropped += len(line) - len(text)
        if text:
            if len(line) == limit and not line.endswith(b"\n"):
                text += stream.readline(limit - len(text))
            line = text
            break
        line = stream.readline(limit)
    truncated = len(line) > MAX_LINE_BYTES
    if truncated:
        _skip_rest_of_line(stream, line)
        line = line[:MAX_LINE_BYTES]
    return _RawLine(line, truncated, dropped)


def _skip_rest_of_line(stream: _Stream, head: bytes) -> None:
    while not head.endswith(b"\n"):
        head = stream.readline(MAX_LINE_BYTES)
        if not head:
            return


def _strip_line_end(raw: bytes) -> bytes:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if b"\x00" in raw:
        raw = raw.replace(b"\x00", b"")
    return raw


def _decode(raw: bytes) -> str:
    return _strip_line_end(raw).decode("utf-8", "replace")


def _decode_checked(raw: bytes) -> tuple[str, bool]:
    """Decode a line; the flag is False when invalid UTF-8 was replaced."""
    data = _strip_line_end(raw)
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), False


def binary_reason(sample: bytes, translate: i18n.Translator) -> str | None:
    """Return why the first block looks binary, or None for text."""
    head = sample[:SAMPLE_BYTES]
    if not head:
        return None
    nul = head.count(0)
    if nul > len(head) * BINARY_NUL_SHARE:
        return translate(_BINARY_NUL) % {"count": nul, "size": len(head)}
    control = sum(head.count(byte) for byte in _CONTROL_BYTES)
    if control > len(head) * BINARY_CONTROL_SHARE:
        return translate(_BINARY_CONTROL) % {"count": control, "size": len(head)}
    return None


def _open_path(path: Path) -> _Stream:
    with path.open("rb") as probe:
        magic = probe.read(8)
    check_supported(magic)
    decompressor = find_decompressor(magic)
    # A decompressor given the path owns the file and closes it.
    return path.open("rb") if decompressor is None else decompressor(path)


def _open_bytes(data: bytes) -> _Stream:
    check_supported(data[:8])
    decompressor = find_decompressor(data[:8])
    stream = io.BytesIO(data)
    return stream if decompressor is None else decompressor(stream)


def check_supported(magic: bytes) -> None:
    for prefix, reason in _UNSUPPORTED_MAGIC:
        if magic.startswith(prefix):
            raise UnreadableFile(reason)


def unreadable_reason(error: BaseException, translate: i18n.Translator) -> str:
    """Return the skip reason for an error: a catalog message, else the system's text."""
    if isinstance(error, PermissionError):
        return translate(_PERMISSION_DENIED)
    if isinstance(error, UnreadableFile):
        return translate(str(error))
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return str(error)


def _folder_name(folder: Path) -> str:
    return folder.resolve().name


def find_files(paths: Sequence[Path], lang: str = i18n.ENGLISH) -> Iterator[LogFile]:
    """List the files under `paths` in sorted order, each with its node and display path.

    Skip reasons are in `lang`. Raises SourceError for a path that does not exist.
    """
    walker = _Walker(i18n.gettext(lang))
    for path in paths:
        yield from walker.argument(path)


class _Walker:
    """Walks folders once each: resolved paths guard against symbolic link loops."""

    def __init__(self, translate: i18n.Translator) -> None:
        self._ = translate
        self._folders: set[str] = set()
        self._files: dict[str, str] = {}

    def argument(self, path: Path) -> Iterator[LogFile]:
        if path.is_dir():
            yield from self._incident(path)
        elif path.is_file():
            yield self._file(path, path.name, "", _folder_name(path.parent))
        elif path.is_symlink():
            yield LogFile(path, path.name, skipped=self._(_BROKEN_LINK))
        elif path.exists():
            yield LogFile(path, path.name, skipped=self._(_NOT_REGULAR))
        else:
            raise SourceError(_NO_SUCH_PATH, path=str(path))

    def _incident(self, folder: Path) -> Iterator[LogFile]:
        name = _folder_name(folder) or folder.name or "."
        entries = yield from self._entries(folder, name)
        if not any(_is_dir(entry) for entry in entries):
            for entry in entries:
                yield from self._entry(entry, f"{name}/{entry.name}", name)
            return
        for entry in entries:
            display = f"{name}/{entry.name}"
            if _is_dir(entry):
                yield from self._folder(Path(entry.path), display, entry.name)
            else:
                yield from self._entry(entry, display, "")

    def _folder(self, folder: Path, display: str, node: str) -> Iterator[LogFile]:
        entries = yield from self._entries(folder, display)
        for entry in entries:
            child = f"{display}/{entry.name}"
            if _is_dir(entry):
                yield from self._folder(Path(entry.path), child, node)
            else:
                yield from self._entry(entry, child, node)

    def _entries(
        self, folder: Path, display: str
    ) -> Generator[LogFile, None, list[os.DirEntry[str]]]:
        """List a folder's visible entries in name order; a folder seen before has none.

        The generator yields a skipped `LogFile` for a folder that loops back or
        cannot be listed, and returns the entries.
        """
        real = os.path.realpath(folder)
        if real in self._folders:
            yield LogFile(folder, display, skipped=self._(_FOLDER_LOOP))
            return []
        self._folders.add(real)
        try:
            with os.scandir(folder) as scan:
                entries = sorted((entry for entry in scan if not entry.name.startswith(".")),
                                 key=lambda entry: entry.name)
        except OSError as error:
            reason = self._(_CANNOT_LIST) % {"reason": unreadable_reason(error, self._)}
            yield LogFile(folder, display, skipped=reason)
            return []
        return entries

    def _entry(self, entry: os.DirEntry[str], display: str, node: str) -> Iterator[LogFile]:
        path = Path(entry.path)
        suffix = path.suffix.lower()
        if suffix in _NOT_LOG_SUFFIXES:
            yield LogFile(path, display, node, skipped=self._(_NOT_A_LOG) % {"suffix": suffix})
        elif _is_file(entry):
            yield self._file(path, display, node, "")
        elif entry.is_symlink():
            yield LogFile(path, display, node, skipped=self._(_BROKEN_LINK))
        else:
            yield LogFile(path, display, node, skipped=self._(_NOT_REGULAR))

    def _file(self, path: Path, display: str, node: str, default_node: str) -> LogFile:
        real = os.path.realpath(path)
        first = self._files.setdefault(real, display)
        if first != display:
            return LogFile(path, display, node, skipped=self._(_SAME_FILE) % {"path": first})
        return LogFile(path, display, node, default_node)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    # DirEntry.is_dir raises OSError (ELOOP) for a symbolic link that points to itself.
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False
