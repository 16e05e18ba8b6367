"""`python -m rca` from an interpreter without the project's dependencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_base_interpreter_runs_checkout_environment():
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    if not base_python.is_file() or not (ROOT / ".venv" / "bin" / "python").is_file():
        pytest.skip("needs a base python3 and the checkout's .venv")

    completed = subprocess.run([str(base_python), "-m", "rca", "--version"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "rca 0.1.0"


def test_missing_dependency_is_explained():
    # -S skips site-packages, so the dependencies cannot be imported.
    completed = subprocess.run([sys.executable, "-S", "-m", "rca", "--version"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120,
                               env={"RCA_MAIN_RERUN": "1", "PATH": "/usr/bin:/bin"})

    assert completed.returncode == 1
    assert "is missing from" in completed.stderr
    assert "pip install -e ." in completed.stderr
    assert "Traceback" not in completed.stderr
