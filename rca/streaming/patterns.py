"""Compiled byte patterns that let the scan skip routine lines at C speed.

Installer logs carry the transaction id on every line, so the scan cannot parse
every line that has one. Instead `ROUTINE_BLOCK_RE` matches, in one regular
expression call, a run of consecutive *routine* lines of the same transaction,
records in the canonical layout of docs/installer-log-format.md such as

    2026-12-03T03:03:25.107Z DEBUG txn=run-001236 step=go-install msg="mkdir -p $WORK/b004/"

with a level below ERROR, ``txn`` as the first field, ``step`` (other than
``dispatch`` and ``collect``, the steps clock-skew estimation reads) as the
second, then optionally ``exit=0`` and ``cmd``, and ``msg`` last. The parser
reads such a line as a non-error own event of its transaction, so only its
position is needed. Every other line lies
between two matches and is parsed: errors, lines with an exit status or any
other field, other layouts, continuation lines and lines of another
transaction.

NOTE: the canonical layout puts ``msg`` last, so nothing after ``msg=`` is
checked. A non-canonical line that puts an exit status or a ``level`` field
after ``msg`` is taken as routine.

The pattern is kept this plain on purpose: every optional group or alternative
costs CPython's regular expression engine about 10 ns per line, and the scan
must stay within a few times the speed of grep.
"""

from __future__ import annotations

import re

_STAMP = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*"
_ROUTINE_LEVEL = rb"(?:DEBUG|INFO|NOTICE|WARN|WARNING|TRACE)"
_TAIL = rb' step=(?!dispatch|collect)[^\s"=]+ (?:exit=0+ )?(?:cmd="[^"\n]*" )?msg=[^\n]*\n'
_FIRST = _STAMP + rb" " + _ROUTINE_LEVEL + rb' txn=([^\s"]+)' + _TAIL
_NEXT = _STAMP + rb" " + _ROUTINE_LEVEL + rb" txn=\1" + _TAIL

ROUTINE_BLOCK_RE = re.compile(b"\n" + _FIRST + b"(?:" + _NEXT + b")*")
"""Routine installer lines of one transaction; group 1 is the transaction id.

A match starts at the ``\\n`` that ends the line before the run, so it needs the
block sentinel for the first line of a block.
"""

JOURNAL_TRANSACTION_MARKERS = (b'TRANSACTION_ID"', b'TXN"', b"txn", b"transaction", b"run_id=")
"""Byte strings of which every journal line with a transaction id contains one.

The journald parser takes the id from the ``TRANSACTION_ID``, ``TXN`` or
``RCA_TXN`` field, or from a ``txn=`` field (or an alias) in the message.
"""
