"""Entry point of ``python -m rca``.

When this interpreter lacks the project's dependencies (a system ``python3``
running a checkout), the command is run again with the checkout's ``.venv``,
where the README installs them. Without such an environment it exits with a
message that says what to install.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Set in the environment of the re-run, so a broken environment cannot loop.
_RERUN_MARKER = "RCA_MAIN_RERUN"


def _checkout_python() -> Path | None:
    """Return the Python of the checkout's ``.venv``, unless that environment is running.

    Environments are compared by prefix, because a virtual environment's python
    is a symbolic link to the base interpreter.
    """
    environment = Path(__file__).resolve().parent.parent / ".venv"
    if Path(sys.prefix).resolve() == environment.resolve():
        return None
    for candidate in (environment / "bin" / "python", environment / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def _run() -> int:
    try:
        from rca.cli import main
    except ModuleNotFoundError as error:
        python = _checkout_python()
        if python is not None and not os.environ.get(_RERUN_MARKER):
            os.environ[_RERUN_MARKER] = "1"
            os.execv(python, [str(python), "-m", "rca", *sys.argv[1:]])
        print(f"rca: error: the Python package '{error.name}' is missing from {sys.executable}. "
              "Install rca with its dependencies first: python3 -m venv .venv && "
              ".venv/bin/pip install -e .", file=sys.stderr)
        return 1
    return main()


raise SystemExit(_run())
