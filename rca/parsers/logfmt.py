"""Fields of logfmt text: ``key=value`` and ``key="quoted value"`` among bare words.

    ts=2026-12-03T02:14:07Z level=error txn=run-0042 msg="go: downloading x v1.2.3"

A quoted value may contain ``\\"`` and ``\\\\`` escapes (and Go's ``\\n``, ``\\t``).
A bare word is any run of non-space characters that is not a ``key=value`` pair,
so free text mixed with fields splits cleanly into both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Alternatives: key with quoted value, key with bare value, bare word.
_TOKEN_RE = re.compile(
    r'([A-Za-z_][\w.\-]*)=(?:"([^"\\]*(?:\\.[^"\\]*)*)"|(\S*))|(\S+)'
)
_ESCAPE_RE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}

# Keys that carry the transaction id, in the installer format and its aliases.
TRANSACTION_KEYS = frozenset(
    {"txn", "txn_id", "transaction", "transaction_id", "transaction.id", "run_id"}
)
_TRANSACTION_RE = re.compile(
    r'(?:^|\s)(?:txn|txn_id|transaction|transaction_id|transaction\.id|run_id)='
    r'(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^\s"]+))'
)


def unescape(value: str) -> str:
    """Resolve the backslash escapes of a quoted logfmt value."""
    if "\\" not in value:
        return value
    return _ESCAPE_RE.sub(lambda match: _ESCAPES.get(match.group(1), match.group(1)), value)


def pairs(text: str) -> Iterator[tuple[str, str, int, int]]:
    """Yield ``(key, value, start, end)`` for the key=value tokens of `text`, left to right.

    Bare words are skipped. `start` and `end` index the whole token in `text`.
    """
    for match in _TOKEN_RE.finditer(text):
        key, quoted, bare, _word = match.groups()
        if key is not None:
            value = unescape(quoted) if quoted is not None else bare
            yield key, value, match.start(), match.end()


def find_transaction_id(text: str) -> str | None:
    """Return the value of the first transaction-id field (``txn=`` or an alias) in `text`."""
    if "=" not in text:
        return None
    match = _TRANSACTION_RE.search(text)
    if match is None:
        return None
    quoted, bare = match.groups()
    value = unescape(quoted) if quoted is not None else bare
    return value or None
