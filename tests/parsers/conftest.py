"""Fixtures for parser tests; the helpers behind them are in parser_helpers.py."""

from __future__ import annotations

import pytest
from parser_helpers import ParseText, parse_shared, run_parser


@pytest.fixture
def parse_text() -> ParseText:
    """Parse text with a named format; the line accounting is checked."""
    return run_parser


@pytest.fixture
def parse_sample() -> ParseText:
    """Parse a file of the shared samples, skipping the test when it is absent."""
    return parse_shared
