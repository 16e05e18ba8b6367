"""Shared paths and loaders for the tests of shipping/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FILEBEAT = REPO / "shipping" / "filebeat"
FIXTURE = REPO / "fixtures" / "incidents" / "2026-12-03-delve-rollout"
SAMPLES = REPO / ".." / "shared" / "data" / "samples"


def load_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FILEBEAT / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def filebeat_config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FILEBEAT / "filebeat.yml").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"real log samples not found at {SAMPLES}")
    return SAMPLES
