"""The analyzer's exceptions: one root, a few subclasses with standard-type mix-ins.

The CLI prints the message of any `RcaError` without a traceback and exits 1.
A message given with keyword parameters is a template marked with `N_` for the
catalog (``raise SourceError(N_("%(path)s: not found"), path=p)``), so the CLI
can print it in the reader's language. ``str(error)`` is always English.
"""

from __future__ import annotations

from typing import Any


class RcaError(Exception):
    """Root of every error the analyzer raises on purpose."""

    def __init__(self, message: str, **params: Any) -> None:
        self.template = message
        self.params = params
        super().__init__(message % params if params else message)

    def localized(self, lang: str) -> str:
        """Return the message in `lang` (``en`` or ``zh-CN``), parameters filled in."""
        from rca.i18n import gettext

        translate = gettext(lang)
        if not self.params:
            return translate(self.template) if self.template else str(self)
        return translate(self.template) % self.params


class UsageError(RcaError, ValueError):
    """A command-line argument or setting is invalid."""


class ConfigError(RcaError, ValueError):
    """A settings file or ``RCA_*`` variable is invalid; the message names the key."""


class SourceError(RcaError, OSError):
    """A source (file, folder, Elasticsearch, Loki) could not be read at all."""


class KnowledgeBaseError(RcaError, ValueError):
    """A knowledge-base file is invalid; the message has ``file:line:column``."""
