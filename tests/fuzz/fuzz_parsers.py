"""Coverage-guided fuzzing of the files source and every parser with atheris.

Each input is one byte string: the first byte picks a format (or format
detection), the rest is the file's content. The harness checks the line
accounting, the clock-order guarantee of `rca.timeorder` and that no record is
kept twice. Any other exception is a finding.

    .venv/bin/pip install atheris
    .venv/bin/python tests/fuzz/fuzz_parsers.py -max_total_time=300 -max_len=4096 \\
        -artifact_prefix=/tmp/rca-fuzz-

pytest does not collect this file (its name does not start with ``test_``).
"""

from __future__ import annotations

import sys
from collections import defaultdict

import atheris

# The parser modules are imported here, not on first use, so that atheris
# instruments them for coverage feedback.
with atheris.instrument_imports():
    from rca.dedupe import record_key
    from rca.parsers import (  # noqa: F401
        audit,
        installer,
        journald,
        levels,
        logfmt,
        stacks,
        syslog,
        timestamps,
        tooloutput,
    )
    from rca.parsers.base import format_names
    from rca.sources.files import read_bytes
    from rca.timeorder import DEFAULT_TOLERANCE

FORMATS: list[str | None] = [None, *format_names()]
NAMES = {None: "capture.txt", "journald-export": "journal.export"}


def check(data: bytes) -> None:
    if not data:
        return
    format_name = FORMATS[data[0] % len(FORMATS)]
    name = NAMES.get(format_name, f"{format_name}.log")
    events, stats = read_bytes(data[1:], name=name, format=format_name)

    total = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
    if stats.lines_read != total or min(stats.parsed, stats.continuation) < 0:
        raise AssertionError(f"line accounting broken: {stats}")

    latest: dict[str, float] = defaultdict(lambda: float("-inf"))
    for event in events:
        if event.timestamp is None:
            continue
        if event.timestamp < latest[event.node] - DEFAULT_TOLERANCE:
            raise AssertionError(f"record out of file order: {event}")
        latest[event.node] = max(latest[event.node], event.timestamp)

    keys = [key for key in map(record_key, events) if key is not None]
    if len(keys) != len(set(keys)):
        raise AssertionError("a record was kept twice")


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
