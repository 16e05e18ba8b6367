"""The analyzer's exceptions: one root, a few subclasses with standard-type mix-ins.

The CLI prints the message of any `RcaError` without a traceback and exits 1.
"""

from __future__ import annotations


class RcaError(Exception):
    """Root of every error the analyzer raises on purpose."""


class UsageError(RcaError, ValueError):
    """A command-line argument or setting is invalid."""


class ConfigError(RcaError, ValueError):
    """A settings file or ``RCA_*`` variable is invalid; the message names the key."""


class SourceError(RcaError, OSError):
    """A source (file, folder, Elasticsearch, Loki) could not be read at all."""


class KnowledgeBaseError(RcaError, ValueError):
    """A knowledge-base file is invalid; the message has ``file:line:column``."""
