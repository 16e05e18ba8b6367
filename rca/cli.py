"""Command-line interface: parse arguments and dispatch; the work lives elsewhere.

Exit codes, for every command:
    0  the input was analysed
    1  usage error, invalid settings, or input that could not be read
    2  nothing found: no install run (investigate) or no log line (diagnose)
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO, cast

from rca import __version__, i18n
from rca.errors import RcaError, SourceError, UsageError
from rca.i18n import N_

if TYPE_CHECKING:
    from rca.kb import KnowledgeBase
    from rca.model import Diagnosis, Event, Investigation
    from rca.settings import Settings
    from rca.sources.files import LogFile

log = logging.getLogger("rca")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NOTHING_FOUND = 2

# The messages argparse prints itself. argparse looks them up through its module's
# `_` function, which `_localize_argparse` points at the chosen catalog.
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("%(prog)s: error: %(message)s\n"),
)

_RELATIVE_TIME = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class _ArgumentParser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with 1, not argparse's 2.

    Exit status 2 means "nothing found" for every `rca` command, so a typo must
    not look like an empty result to a script.
    """

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        translate = argparse._  # type: ignore[attr-defined]  # set by _localize_argparse
        self.exit(EXIT_ERROR, translate("%(prog)s: error: %(message)s\n")
                  % {"prog": self.prog, "message": message})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rca` command line and return its exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = _early_lang(args_list)
    _ = i18n.gettext(lang)
    _localize_argparse(_)
    parser = build_parser(_)
    args = parser.parse_args(args_list)
    _configure_logging(args.verbose)

    try:
        lang = i18n.resolve_lang(getattr(args, "lang", None) or args.global_lang)
        _ = i18n.gettext(lang)
        handler: Callable[[argparse.Namespace, str], int] = args.handler
        return handler(args, lang)
    except RcaError as error:
        print(_("rca: error: %(message)s") % {"message": error.localized(lang)},
              file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(_("rca: interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`rca ... | head`); nothing to report.
        sys.stderr.close()
        return EXIT_OK


def build_parser(_: Callable[[str], str]) -> argparse.ArgumentParser:
    """Build the argument parser with help texts in the chosen language."""
    parser = _ArgumentParser(
        prog="rca",
        description=_("Find the root cause of failed install runs in logs from many nodes."),
    )
    parser.add_argument("--version", action="version", version=f"rca {__version__}",
                        help=_("show program's version number and exit"))
    parser.add_argument("--lang", dest="global_lang", metavar="LANG",
                        help=_("message and report language: zh-CN or en"))
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help=_("log more detail to standard error (repeat for debug)"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_investigate(commands, _)
    _add_diagnose(commands, _)
    _add_kb(commands, _)
    return parser


def _add_common(command: argparse.ArgumentParser, _: Callable[[str], str]) -> None:
    command.add_argument("--lang", help=_("report language: zh-CN or en (default: RCA_LANG, "
                                          "then LC_ALL, LC_MESSAGES, LANG)"))
    command.add_argument("--config", metavar="FILE",
                         help=_("settings file in TOML (default: RCA_CONFIG, if set)"))
    command.add_argument("--kb", action="append", default=[], metavar="PATH",
                         help=_("knowledge-base file or folder to use instead of the "
                                "shipped one (repeatable)"))
    command.add_argument("-q", "--quiet", action="store_true",
                         help=_("print no progress on standard error"))


def _add_investigate(commands: argparse._SubParsersAction[_ArgumentParser],
                     _: Callable[[str], str]) -> None:
    command = commands.add_parser(
        "investigate",
        help=_("investigate an incident: every failed run, its first error and root cause"),
        description=_("Read an incident folder (one sub-folder per node), log files, or an "
                      "Elasticsearch index, and report every failed install run."),
    )
    command.add_argument("sources", nargs="+", metavar="SOURCE",
                         help=_("incident folder, log file, or es://HOST:PORT/INDEX-PATTERN"))
    command.add_argument("--txn", metavar="ID", help=_("investigate only this transaction id"))
    command.add_argument("--since", metavar="TIME",
                         help=_("ignore events before TIME: ISO-8601 (2026-12-03T01:00:00Z) "
                                "or an age such as 90m, 12h, 7d"))
    command.add_argument("--until", metavar="TIME", help=_("ignore events after TIME"))
    command.add_argument("--format", choices=["md", "html", "json"], default="md",
                         help=_("report format (default: md)"))
    command.add_argument("-o", "--output", metavar="FILE",
                         help=_("write the report to FILE instead of standard output"))
    command.add_argument("--margin", type=float, metavar="SECONDS",
                         help=_("seconds added on both sides of a run's window when joining "
                                "audit and journald events (default: 30)"))
    _add_common(command, _)
    command.set_defaults(handler=run_investigate)


def _add_diagnose(commands: argparse._SubParsersAction[_ArgumentParser],
                  _: Callable[[str], str]) -> None:
    command = commands.add_parser(
        "diagnose",
        help=_("diagnose saved error output, one excerpt per file"),
        description=_("Treat each file as one error excerpt and name its root cause. "
                      "'-' reads standard input."),
    )
    command.add_argument("paths", nargs="+", metavar="PATH", help=_("file, or - for stdin"))
    command.add_argument("--json", action="store_true",
                         help=_("print one JSON object per file, in argument order"))
    command.add_argument("--no-rules", action="store_true",
                         help=_("skip the knowledge-base rules and use only the classifier"))
    command.add_argument("--no-classifier", action="store_true",
                         help=_("use only the knowledge-base rules"))
    _add_common(command, _)
    command.set_defaults(handler=run_diagnose)


def _add_kb(commands: argparse._SubParsersAction[_ArgumentParser],
            _: Callable[[str], str]) -> None:
    kb_command = commands.add_parser("kb", help=_("check, test and evaluate the knowledge base"))
    actions = kb_command.add_subparsers(dest="kb_command", required=True, metavar="ACTION")

    check = actions.add_parser("check", help=_("list every problem in the rule files"))
    _add_common(check, _)
    check.set_defaults(handler=run_kb, kb_action="check")

    test = actions.add_parser("test", help=_("run every example line of every rule as a test"))
    _add_common(test, _)
    test.set_defaults(handler=run_kb, kb_action="test")

    evaluate = actions.add_parser("eval", help=_("score a folder of labelled excerpts "
                                                 "(INDEX.tsv with file and expected_cause)"))
    evaluate.add_argument("folder", metavar="DIR")
    evaluate.add_argument("--no-rules", action="store_true",
                          help=_("skip the knowledge-base rules and use only the classifier"))
    _add_common(evaluate, _)
    evaluate.set_defaults(handler=run_kb, kb_action="eval")

    explain = actions.add_parser("explain", help=_("show which rules matched a file and why"))
    explain.add_argument("path", metavar="FILE")
    _add_common(explain, _)
    explain.set_defaults(handler=run_kb, kb_action="explain")

    hits = actions.add_parser(
        "hits", help=_("count how many documents each rule matches in Elasticsearch"))
    hits.add_argument("source", nargs="?", metavar="URL",
                      help=_("es://HOST:PORT/INDEX (default: url in [elasticsearch])"))
    hits.add_argument("--since", metavar="TIME",
                      help=_("count only documents at or after TIME: ISO-8601 or an age "
                             "such as 7d"))
    hits.add_argument("--until", metavar="TIME",
                      help=_("count only documents at or before TIME"))
    _add_common(hits, _)
    hits.set_defaults(handler=run_kb, kb_action="hits")

    unknowns = actions.add_parser(
        "unknowns", help=_("group unexplained first errors by template and suggest rules"))
    unknowns.add_argument("paths", nargs="+", metavar="PATH")
    _add_common(unknowns, _)
    unknowns.set_defaults(handler=run_kb, kb_action="unknowns")


# Command handlers. Each one turns arguments into a call of the owning module.

def run_investigate(args: argparse.Namespace, lang: str) -> int:
    from rca.pipeline import Query, investigate
    from rca.report.render import render_to

    _ = i18n.gettext(lang)
    settings = _settings(args)
    settings.lang = lang
    if args.margin is not None:
        if args.margin < 0:
            raise UsageError(_("--margin must be zero or more seconds"))
        settings.margin = args.margin
    query = Query(since=parse_time(args.since, "--since"),
                  until=parse_time(args.until, "--until"),
                  transaction=args.txn)
    if query.since is not None and query.until is not None and query.since > query.until:
        raise UsageError(N_("--since %(since)s is later than --until %(until)s; swap them"),
                         since=args.since, until=args.until)
    kb = _knowledge_base(args)

    if _should_stream(args.sources, settings.stream_above_mb):
        from rca.streaming import investigate_streaming

        result = investigate_streaming(args.sources, settings, kb, query,
                                       workers=settings.workers or None, quiet=args.quiet)
    else:
        result = investigate(args.sources, settings, kb, query)

    def write_report(stream: TextIO) -> None:
        render_to(stream, result, kb, format=args.format, lang=lang, kibana=settings.kibana)

    _write_output(write_report, args.output)
    if result.transactions:
        return EXIT_OK
    _explain_nothing_found(result, args, lang)
    return EXIT_NOTHING_FOUND


def _should_stream(sources: Sequence[str], threshold_mb: float) -> bool:
    """Decide whether the local files add up to more than `threshold_mb` megabytes.

    Small incidents are read in full, which gives complete line accounting and
    full timelines for successful runs too. Large ones are streamed so memory
    stays bounded. Elasticsearch sources are never streamed, because the server
    does the filtering.
    """
    from rca.pipeline import ES_SCHEMES

    if any(source.startswith(ES_SCHEMES) for source in sources):
        return False
    limit = threshold_mb * 1024 * 1024
    total = 0
    for log_file in _log_files(sources):
        try:
            total += log_file.path.stat().st_size
        except OSError:
            continue
        if total > limit:
            return True
    return False


def _log_files(sources: Sequence[str]) -> list[LogFile]:
    """List the readable log files under `sources` as the files source finds them."""
    from rca.sources.files import find_files

    return [log_file for log_file in find_files([Path(source) for source in sources])
            if log_file.skipped is None]


def _explain_nothing_found(result: Investigation, args: argparse.Namespace, lang: str) -> None:
    _ = i18n.gettext(lang)
    if args.txn:
        message = _("rca: no run with transaction id %(txn)s in the sources") % {"txn": args.txn}
    elif not any(stats.lines_read for stats in result.files):
        message = _("rca: no log lines found in %(sources)s; expected log files, or an "
                    "incident folder with one sub-folder per node") % {
                        "sources": ", ".join(args.sources)}
    else:
        message = _("rca: no install run found: no record in the selected time range "
                    "carries a transaction id (txn=...)")
    print(message, file=sys.stderr)


def run_diagnose(args: argparse.Namespace, lang: str) -> int:
    from rca.diagnose import diagnose_excerpt
    from rca.excerpt import read_excerpt
    from rca.report.render import format_diagnosis_line

    _ = i18n.gettext(lang)
    if args.no_rules and args.no_classifier:
        raise UsageError(_(
            "--no-rules and --no-classifier together leave nothing to decide with; "
            "drop one of them"))
    kb = _knowledge_base(args)
    any_lines = False
    failed = False
    for path in args.paths:
        # One unreadable file is reported and the others are still diagnosed.
        try:
            events = read_excerpt(path, lang)
        except RcaError as error:
            failed = True
            message = error.localized(lang)
            print(_("rca: error: %(message)s") % {"message": message}, file=sys.stderr)
            if args.json:
                print(json.dumps({"path": path, "cause": None, "confidence": 0.0,
                                  "decided_by": "none", "error": message},
                                 ensure_ascii=False), flush=True)
            continue
        if not events:
            print(_("rca: %(path)s: no log line to diagnose") % {"path": path},
                  file=sys.stderr)
        any_lines = any_lines or bool(events)
        diagnosis = diagnose_excerpt(events, kb, rules=not args.no_rules,
                                     classifier=not args.no_classifier)
        if args.json:
            print(json.dumps(_diagnosis_json(path, diagnosis), ensure_ascii=False), flush=True)
        else:
            print(format_diagnosis_line(path, diagnosis, kb, lang), flush=True)
    if failed:
        return EXIT_ERROR
    return EXIT_OK if any_lines else EXIT_NOTHING_FOUND


def run_kb(args: argparse.Namespace, lang: str) -> int:
    from rca import kbcli
    from rca.excerpt import read_excerpt

    kb_paths = [Path(path) for path in args.kb] or None
    out = sys.stdout

    def read_events(path: Path) -> list[Event]:
        return read_excerpt(str(path), lang)

    if args.kb_action == "check":
        return kbcli.check(kb_paths, out, lang)
    if args.kb_action == "test":
        return kbcli.test(kb_paths, out, lang)
    if args.kb_action == "eval":
        if not (Path(args.folder) / "INDEX.tsv").is_file():
            raise SourceError(N_("%(folder)s has no INDEX.tsv; it lists each excerpt file and "
                                 "its expected cause, tab-separated, with a header line "
                                 "'file<TAB>expected_cause'"), folder=args.folder)
        return kbcli.evaluate(Path(args.folder), kb_paths, out, lang,
                              read_events=read_events, rules=not args.no_rules)
    if args.kb_action == "explain":
        return kbcli.explain(Path(args.path), kb_paths, out, lang, read_events=read_events)
    if args.kb_action == "hits":
        return _run_kb_hits(args, kb_paths, lang)
    # A folder stands for every file below it, so a whole incident's saved
    # outputs can be grouped in one call.
    files = [log_file.path for log_file in _log_files(args.paths)]
    return kbcli.unknowns(files, kb_paths, out, lang, read_events=read_events)


def _run_kb_hits(args: argparse.Namespace, kb_paths: list[Path] | None, lang: str) -> int:
    from rca import kbhits
    from rca.sources.elasticsearch import EsSettings

    _ = i18n.gettext(lang)
    settings = _settings(args)
    url = args.source or settings.elasticsearch.url
    if not url:
        raise UsageError(_("give an Elasticsearch URL such as es://HOST:9200/INDEX, or set "
                           "url in [elasticsearch]"))
    es_settings = EsSettings.from_url(url, base=settings.elasticsearch, lang=lang)
    return kbhits.hits(kb_paths, es_settings, parse_time(args.since, "--since"),
                       parse_time(args.until, "--until"), sys.stdout, lang)


# Helpers shared by the handlers.

def _diagnosis_json(path: str, diagnosis: Diagnosis) -> dict[str, object]:
    first = diagnosis.evidence[0] if diagnosis.evidence else None
    return {
        "path": path,
        "cause": diagnosis.cause,
        "confidence": round(diagnosis.confidence, 3),
        "decided_by": diagnosis.decided_by,
        "evidence": str(first.origin) if first else None,
        "values": diagnosis.values,
    }


def _settings(args: argparse.Namespace) -> Settings:
    from rca.settings import load_settings

    settings = load_settings(args.config)
    if args.kb:
        settings.knowledge_base = list(args.kb)
    return settings


def _knowledge_base(args: argparse.Namespace) -> KnowledgeBase:
    from rca.kb import load_knowledge_base

    paths = [Path(path) for path in args.kb] if args.kb else None
    return load_knowledge_base(paths)


def parse_time(text: str | None, option: str, now: float | None = None) -> float | None:
    """Parse an ISO-8601 time or an age (``90m``, ``7d``) into POSIX seconds.

    A time without a zone is taken as UTC.
    """
    if text is None:
        return None
    match = _RELATIVE_TIME.match(text.strip())
    if match:
        reference = dt.datetime.now(dt.UTC).timestamp() if now is None else now
        return reference - float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise UsageError(N_("%(option)s %(value)r is not a time; use ISO-8601 such as "
                            "2026-12-03T01:00:00Z or an age such as 90m, 12h, 7d"),
                         option=option, value=text) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _write_output(report: str | Callable[[TextIO], None], output: str | None,
                  stream: TextIO | None = None) -> None:
    """Write to `output` atomically (temporary file, then rename), or to stdout.

    `report` is the text, or a function that writes it to the stream it is given,
    so a large report need not be held in memory as one string. A target that
    exists and is not a regular file (``/dev/null``, a named pipe) is written
    directly, because renaming over it would replace the device.
    """
    if output is None:
        if callable(report):
            report(stream or sys.stdout)
        else:
            (stream or sys.stdout).write(report if report.endswith("\n") else report + "\n")
        return
    target = Path(output)
    try:
        _write_file(report, target)
    except OSError as error:
        raise SourceError(N_("cannot write the report to %(path)s: %(reason)s"),
                          path=output, reason=error.strerror or str(error)) from error


def _write_file(report: str | Callable[[TextIO], None], target: Path) -> None:
    def write(stream: TextIO) -> None:
        if callable(report):
            report(stream)
        else:
            stream.write(report)

    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    if target.exists() and not target.is_file():
        with target.open("w", encoding="utf-8") as device:
            write(device)
        return
    directory = target.parent if str(target.parent) else Path(".")
    # The temporary file outlives the `with` below so it can be renamed into place.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w", encoding="utf-8", dir=directory,
        prefix=f".{target.name}.", delete=False)
    try:
        with handle:
            write(cast(TextIO, handle))
            handle.flush()
            os.fsync(handle.fileno())
        # A temporary file is private (0600). Keep the mode of a report being
        # replaced, as a shell redirection would; a new one gets the usual mode.
        mode = target.stat().st_mode & 0o777 if target.is_file() else 0o666 & ~_current_umask()
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _early_lang(argv: list[str]) -> str:
    """Pick the help-text language before argparse runs; fall back to the locale."""
    for index, arg in enumerate(argv):
        value = None
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value is not None:
            try:
                return i18n.resolve_lang(value)
            except RcaError:
                break
    try:
        return i18n.resolve_lang(None)
    except RcaError:
        # An invalid RCA_LANG is reported once the command runs; help stays readable.
        return i18n.ENGLISH


def _localize_argparse(translate: Callable[[str], str]) -> None:
    """Make argparse print its own words (usage, errors) in the chosen language."""
    argparse._ = translate  # type: ignore[attr-defined]


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 \
        else logging.DEBUG
    logging.basicConfig(level=level, format="rca: %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    # The Elasticsearch client logs every failed connection attempt with a
    # traceback; rca reports the outcome itself, so show those only with -vv.
    client_level = logging.DEBUG if verbosity >= 2 else logging.ERROR
    for name in ("elastic_transport", "elasticsearch", "urllib3"):
        logging.getLogger(name).setLevel(client_level)
