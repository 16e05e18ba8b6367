"""Grouping unexplained first errors and drafting rules for them."""

from __future__ import annotations

import re

import pytest

from rca.kb.parser import parse_rule_file
from rca.unknowns import UnknownGroup, group_messages, rule_skeleton, template_pattern

MESSAGES = [
    "backend 192.0.2.10 answered 418 after 120 ms",
    "backend 192.0.2.11 answered 418 after 95 ms",
    "backend 192.0.2.12 answered 418 after 3010 ms",
    "worker /srv/jobs/a.yaml rejected: schema v2.1.0 unsupported",
    "worker /srv/jobs/b.yaml rejected: schema v2.4.1 unsupported",
]


def test_groups_by_template() -> None:
    groups = group_messages(MESSAGES)

    assert [group.count for group in groups] == [3, 2]
    assert groups[0].template == "backend <IP> answered <NUM> after <NUM> ms"
    assert groups[1].template == "worker <PATH> rejected: schema <VERSION> unsupported"


def test_keeps_a_few_examples() -> None:
    groups = group_messages(MESSAGES * 3)

    assert groups[0].examples == MESSAGES[:3]


def test_blank_messages_are_skipped() -> None:
    assert group_messages(["", "   "]) == []


@pytest.mark.parametrize("message", MESSAGES[3:])
def test_template_pattern_matches_group_lines(message: str) -> None:
    pattern = template_pattern("worker <PATH> rejected: schema <VERSION> unsupported")

    assert re.search(pattern, message)


def test_template_pattern_escapes_slashes_and_brackets() -> None:
    assert template_pattern("reading <URL>: [x] a/b") == r"reading.*?: \[x\] a\/b"


def test_skeleton_parses_and_matches_its_examples() -> None:
    group = UnknownGroup('open "<PATH>" failed: code <NUM>', 2,
                         ['open "/srv/a" failed: code 7', 'open "/srv/b" failed: code 9'])

    skeleton = rule_skeleton(group, cause_id="app.open_failed", rule_name="open_code")
    parsed = parse_rule_file(skeleton, "draft.rca")

    assert parsed.problems == []
    cause = parsed.rule_file.causes[0]
    assert cause.id == "app.open_failed"
    assert [example.text for example in cause.examples] == group.examples
