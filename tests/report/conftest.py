"""Fixtures of the report tests: a two-node investigation and a knowledge-base stand-in."""

from __future__ import annotations

import pytest

from rca.model import Investigation

from .report_fixtures import FakeKnowledgeBase, build_investigation


@pytest.fixture
def investigation() -> Investigation:
    return build_investigation()


@pytest.fixture
def kb() -> FakeKnowledgeBase:
    return FakeKnowledgeBase()
