"""Levels for text that has none: syslog messages, tool output, systemd's unit messages.

Syslog text and saved command output carry no level field, so the level is read
from words that report a failure. The word lists are kept short on purpose: a
false ERROR sends detection to the wrong line, so only words that nearly always
mean failure are listed.
"""

from __future__ import annotations

import re

from rca.model import Level

# Word lists, matched in lower-cased text. A trailing "=" means a key, not a word
# ("error=n/a", "failed=0").
_CRITICAL_WORDS = r"out of memory|oom-kill(?:er)?|oom_reaper|killed process \d+|kernel panic"
_ERROR_WORDS = (
    r"errors?|fatal|fail(?:ed|ure|s)?|denied|cannot|can't|could ?not|couldn't|unable to"
    r"|refused|timed out|i/o timeout|deadline exceeded|not permitted|no such (?:file|host)"
    r"|segfault|panic|killed"
)
_WARNING_WORDS = r"warn(?:ing)?"
_CRITICAL_RE = re.compile(rf"\b(?:{_CRITICAL_WORDS})\b(?!=)")
_ERROR_RE = re.compile(rf"\b(?:{_ERROR_WORDS})\b(?!=)")
_WARNING_RE = re.compile(rf"\b(?:{_WARNING_WORDS})\b(?!=)")
# Any of the words, without word boundaries: one fast scan rejects most lines.
_ANY_WORD_RE = re.compile(f"{_CRITICAL_WORDS}|{_ERROR_WORDS}|{_WARNING_WORDS}")
# apt's own prefixes: "E: Unable to locate package", "Err:1 http://...", "W: GPG error".
_APT_PREFIX_RE = re.compile(r"(E|W|N|Err|Ign|Hit|Get)(?::\d+ |: )")
_APT_LEVELS = {"E": Level.ERROR, "Err": Level.ERROR, "W": Level.WARNING}

# systemd: "Main process exited, code=exited, status=203/EXEC"
_SYSTEMD_EXIT_RE = re.compile(r"\bcode=(exited|killed|dumped), status=(\d+)(?:/(\w+))?")


def level_from_text(text: str) -> Level:
    """Guess the level of a message from failure words; INFO when none is found.

    A line with apt's level prefix (``E:``, ``W:``, ``Err:1``, ``Hit:2``...)
    takes the level the prefix states.
    """
    if text[:1] in "EWNIHG":
        prefix = _APT_PREFIX_RE.match(text)
        if prefix is not None:
            return _APT_LEVELS.get(prefix.group(1), Level.INFO)
    lower = text.lower()
    if _ANY_WORD_RE.search(lower) is None:
        return Level.INFO
    if _CRITICAL_RE.search(lower):
        return Level.CRITICAL
    if _ERROR_RE.search(lower):
        return Level.ERROR
    if _WARNING_RE.search(lower):
        return Level.WARNING
    return Level.INFO


def systemd_exit(text: str) -> tuple[int | None, str | None] | None:
    """Read systemd's ``code=exited, status=N`` report of a unit's main process.

    Returns ``(exit_code, signal)``: the exit status for ``code=exited``, or the
    signal name (``KILL``, ``SEGV``) for ``code=killed`` and ``code=dumped``.
    Returns None when the text has no such report.
    """
    if "status=" not in text:
        return None
    match = _SYSTEMD_EXIT_RE.search(text)
    if match is None:
        return None
    code, status, name = match.groups()
    if code == "exited":
        return int(status), None
    return None, name or status


def apply_systemd_exit(text: str, fields: dict[str, object], level: Level) -> Level:
    """Store a systemd exit report of `text` in `fields` and return the raised level.

    A non-zero exit status goes to ``fields["exit_code"]``, a signal to
    ``fields["signal"]``; either makes the record at least an ERROR.
    """
    report = systemd_exit(text)
    if report is None:
        return level
    exit_code, signal = report
    if exit_code is not None:
        fields["exit_code"] = exit_code
        if exit_code == 0:
            return level
    if signal is not None:
        fields["signal"] = signal
    return max(level, Level.ERROR)


def level_from_syslog_priority(priority: int) -> Level:
    """Map a syslog severity (0 emerg ... 7 debug) to a level, as journald does."""
    if priority <= 2:
        return Level.CRITICAL
    return _SEVERITY_LEVELS.get(priority, Level.DEBUG)


_SEVERITY_LEVELS: dict[int, Level] = {
    3: Level.ERROR,
    4: Level.WARNING,
    5: Level.NOTICE,
    6: Level.INFO,
    7: Level.DEBUG,
}
