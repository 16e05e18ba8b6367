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
length, which ``fields["truncated"]`` and a warning record.

A file that cannot be read (no permission, binary content, an unsupported
archive, a symbolic link loop) is reported in `FileStats.skipped` and the other
files are still read. A damaged compressed file yields the lines before the
damage and a warning.
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
from typing import Protocol

from rca import i18n
from rca.errors import SourceError
from rca.i18n import N_
from rca.model import Event, FileStats
from rca.parsers.base import ParseContext, detect_format, get_parser

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
# note quoting "permission denied" would otherwise become an event; a file named
# on the command line is always read.
_NOT_LOG_SUFFIXES = frozenset({
    ".md", ".rst", ".tsv", ".csv", ".html", ".htm", ".pdf", ".doc", ".docx", ".xlsx",
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp",
})
_READ_STOPPED = N_("read stopped after line %(line)s: %(error)s")
_LINES_CUT = N_("%(count)s line(s) longer than %(limit)s bytes were cut to that length, "
                "the first at line %(line)s")
_NO_SUCH_PATH = N_("%(path)s: no such file or folder. Give an incident folder or a log file.")
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


def _decompressor(magic: bytes) -> Callable[[Path | io.BytesIO], _Stream] | None:
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
    skip reasons and warnings in `FileStats`.
    """

    default_timezone: dt.tzinfo = dt.UTC
    node_timezones: Mapping[str, dt.tzinfo] = field(default_factory=dict)
    format: str | None = None
    lang: str = i18n.ENGLISH

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


class _Unreadable(Exception):
    """A file that is skipped; the message is the English reason, a catalog message id."""


def read_paths(
    paths: Sequence[Path], settings: FileSettings
) -> tuple[list[Event], list[FileStats]]:
    """Read every file under `paths`; returns the events and one `FileStats` per file."""
    stats: list[FileStats] = []
    events = list(iter_paths(paths, settings, stats))
    return events, stats


def iter_paths(
    paths: Sequence[Path], settings: FileSettings, stats: list[FileStats]
) -> Iterator[Event]:
    """Stream the events of every file under `paths`, appending each file's stats to `stats`.

    Raises SourceError when a path does not exist.
    """
    sequence = itertools.count()
    for log_file in find_files(paths, settings.lang):
        file_stats = FileStats(path=log_file.display, node=log_file.node)
        stats.append(file_stats)
        if log_file.skipped is not None:
            file_stats.skipped = log_file.skipped
            logger.debug("skipped %s: %s", log_file.display, log_file.skipped)
            continue
        yield from iter_file_events(log_file, file_stats, settings, sequence)


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
    events = list(iter_file_events(log_file, stats, settings, itertools.count()))
    return events, stats


def read_bytes(
    data: bytes, name: str = "<stdin>", node: str = "", format: str | None = None, *,
    lang: str = i18n.ENGLISH,
) -> tuple[list[Event], FileStats]:
    """Read log text held in memory (standard input) as if it were a file called `name`."""
    stats = FileStats(path=name, node=node)
    context = ParseContext(path=name, node=node, stats=stats, reference_time=time.time())
    reader = _StreamReader(context, format, i18n.gettext(lang))
    events = list(reader.events(lambda: _open_bytes(data), name))
    for sequence, event in enumerate(events):
        event.sequence = sequence
    return events, stats


def iter_file_events(
    log_file: LogFile, stats: FileStats, settings: FileSettings, sequence: Iterator[int]
) -> Iterator[Event]:
    """Parse one file, counting into `stats`; sequence numbers are drawn from `sequence`."""
    translate = i18n.gettext(settings.lang)
    try:
        mtime = log_file.path.stat().st_mtime
    except OSError as error:
        stats.skipped = _reason(error, translate)
        logger.warning("cannot read %s: %s", log_file.display, error)
        return
    context = ParseContext(
        path=log_file.display, node=log_file.node, default_node=log_file.default_node,
        stats=stats, reference_time=mtime, tz=settings.timezone_for(log_file.node),
    )
    reader = _StreamReader(context, settings.format, translate)
    nodes: set[str] = set()
    for event in reader.events(lambda: _open_path(log_file.path), log_file.path.name):
        event.sequence = next(sequence)
        if reader.truncated and event.origin.line in reader.truncated:
            event.fields["truncated"] = True
        nodes.add(event.node)
        yield event
    if not stats.node and len(nodes) == 1:
        stats.node = nodes.pop()
    logger.debug("read %s: %d lines as %s", log_file.display, stats.lines_read, stats.format)


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
        self.truncated: set[int] = set()

    def events(self, opener: Callable[[], _Stream], name: str) -> Iterator[Event]:
        """Open the stream with `opener` and parse it; `name` is the file name for sniffing."""
        try:
            stream = opener()
        except (_Unreadable, OSError) as error:
            self._stats.skipped = _reason(error, self._)
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
                self._note_truncated()
                return
        if parser.parse_bytes is not None:
            # A byte parser reads from the start, so the stream is opened again.
            with contextlib.closing(opener()) as fresh:
                yield from parser.parse_bytes(fresh, self._context)

    def _choose_format(self, sample: list[tuple[bytes, bool]], name: str) -> str | None:
        """Return the format of the first lines, or None (and a skip reason) for binary data."""
        chosen = self._format or detect_format(name, [_decode(raw) for raw, _ in sample])
        if chosen != _EXPORT_FORMAT:
            reason = _binary_reason(b"".join(raw for raw, _ in sample), self._)
            if reason is not None:
                self._stats.skipped = reason
                logger.debug("skipped %s: %s", self._context.path, reason)
                return None
        self._stats.format = chosen
        return chosen

    def _raw_lines(self, stream: _Stream, limit: int | None = None) -> Iterator[tuple[bytes, bool]]:
        """Yield ``(line, truncated)`` pairs split on ``\\n``; a read error ends with a warning."""
        count = 0
        while not self._stopped and (limit is None or count < limit):
            try:
                line = stream.readline(MAX_LINE_BYTES + 1)
                truncated = len(line) > MAX_LINE_BYTES
                if truncated:
                    _skip_rest_of_line(stream, line)
                    line = line[:MAX_LINE_BYTES]
            except _READ_ERRORS as error:
                self._read_stopped(self._stats.lines_read + count, error)
                return
            if not line:
                return
            count += 1
            yield line, truncated

    def _read_stopped(self, line: int, error: BaseException) -> None:
        self._stopped = True
        warning = self._(_READ_STOPPED) % {"line": line, "error": error}
        self._stats.warnings.append(warning)
        logger.warning("%s: read stopped after line %d: %s", self._context.path, line, error)

    def _numbered(self, lines: Iterable[tuple[bytes, bool]]) -> Iterator[tuple[int, str]]:
        stats = self._stats
        for number, (raw, was_truncated) in enumerate(lines, start=1):
            stats.lines_read += 1
            if was_truncated:
                self.truncated.add(number)
            yield number, _decode(raw)

    def _note_truncated(self) -> None:
        if self.truncated:
            params = {"count": len(self.truncated), "limit": MAX_LINE_BYTES,
                      "line": min(self.truncated)}
            self._stats.warnings.append(self._(_LINES_CUT) % params)


def _skip_rest_of_line(stream: _Stream, head: bytes) -> None:
    while not head.endswith(b"\n"):
        head = stream.readline(MAX_LINE_BYTES)
        if not head:
            return


def _decode(raw: bytes) -> str:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if b"\x00" in raw:
        raw = raw.replace(b"\x00", b"")
    return raw.decode("utf-8", "replace")


def _binary_reason(sample: bytes, translate: i18n.Translator) -> str | None:
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
    _check_supported(magic)
    decompressor = _decompressor(magic)
    # A decompressor given the path owns the file and closes it.
    return path.open("rb") if decompressor is None else decompressor(path)


def _open_bytes(data: bytes) -> _Stream:
    _check_supported(data[:8])
    decompressor = _decompressor(data[:8])
    stream = io.BytesIO(data)
    return stream if decompressor is None else decompressor(stream)


def _check_supported(magic: bytes) -> None:
    for prefix, reason in _UNSUPPORTED_MAGIC:
        if magic.startswith(prefix):
            raise _Unreadable(reason)


def _reason(error: BaseException, translate: i18n.Translator) -> str:
    """Return the skip reason for an error: a catalog message, else the system's text."""
    if isinstance(error, PermissionError):
        return translate(_PERMISSION_DENIED)
    if isinstance(error, _Unreadable):
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
            reason = self._(_CANNOT_LIST) % {"reason": _reason(error, self._)}
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
