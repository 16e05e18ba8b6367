"""Levels read from words, syslog priorities and systemd exit reports."""

from __future__ import annotations

import pytest

from rca.model import Level
from rca.parsers.levels import (
    apply_systemd_exit,
    level_from_syslog_priority,
    level_from_text,
    systemd_exit,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E: Unable to locate package golang-1.10-go", Level.ERROR),
        ("Err:1 http://mirrors.example.com/debian unstable InRelease", Level.ERROR),
        ("W: GPG error: http://mirrors.example.com/debian unstable InRelease", Level.WARNING),
        ("fatal: could not read Username for 'https://github.com'", Level.ERROR),
        ("mkdir /usr/share/go/src/github.com: permission denied", Level.ERROR),
        ("bash: ./restic: cannot execute binary file: Exec format error", Level.ERROR),
        ("dial tcp 192.0.2.241:443: i/o timeout", Level.ERROR),
        ("Out of memory: Killed process 4242 (go) total-vm:2000kB", Level.CRITICAL),
        ("Memory cgroup out of memory: oom-kill:constraint=CONSTRAINT_MEMCG", Level.CRITICAL),
        ("warning: GOPATH set to GOROOT has no effect", Level.WARNING),
        ("go: downloading github.com/pierrec/lz4/v4 v4.1.14", Level.INFO),
        ("Sent message type=method_call error=n/a", Level.INFO),
        ("PLAY RECAP failed=0 ok=3", Level.INFO),
    ],
    ids=["apt-E", "apt-Err", "apt-W", "git-fatal", "permission-denied", "cannot", "timeout",
         "oom-killed", "oom-kill", "warning", "info", "error-key", "failed-key"],
)
def test_level_from_text(text: str, expected: Level) -> None:
    assert level_from_text(text) == expected


@pytest.mark.parametrize(
    ("priority", "expected"),
    [(0, Level.CRITICAL), (2, Level.CRITICAL), (3, Level.ERROR), (4, Level.WARNING),
     (5, Level.NOTICE), (6, Level.INFO), (7, Level.DEBUG)],
)
def test_level_from_syslog_priority(priority: int, expected: Level) -> None:
    assert level_from_syslog_priority(priority) == expected


def test_systemd_exit_status() -> None:
    report = systemd_exit("log2ram.service: Main process exited, code=exited, status=203/EXEC")

    assert report == (203, None)


def test_systemd_killed_by_signal() -> None:
    report = systemd_exit("go.service: Main process exited, code=killed, status=9/KILL")

    assert report == (None, "KILL")


def test_systemd_exit_absent() -> None:
    assert systemd_exit("Started Outputs some log lines.") is None


def test_apply_systemd_exit_raises_level_and_sets_code() -> None:
    fields: dict[str, object] = {}

    level = apply_systemd_exit("Main process exited, code=exited, status=1/FAILURE", fields,
                               Level.INFO)

    assert level == Level.ERROR
    assert fields["exit_code"] == 1


def test_apply_systemd_exit_zero_keeps_level() -> None:
    fields: dict[str, object] = {}

    level = apply_systemd_exit("Main process exited, code=exited, status=0/SUCCESS", fields,
                               Level.INFO)

    assert level == Level.INFO
    assert fields["exit_code"] == 0
