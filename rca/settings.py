"""Settings: one typed object, defaults in one place.

Precedence, highest first: command-line options, ``RCA_*`` environment
variables, the TOML file named by ``--config`` or ``RCA_CONFIG``, the defaults
below. Nothing is read from the current directory unless named. Unknown keys in
the file are rejected by name, so a typo never passes silently.

Example file::

    margin = 30                 # seconds added on both sides of a run's window
    timezone = "Asia/Shanghai"  # zone for timestamps that carry none

    [node_timezones]
    build-ubuntu-01 = "UTC"

    [clock_offsets]              # seconds each node's clock runs ahead
    web-rhel-02 = 2.5

    [kibana]
    url = "https://kibana.example.com"
    space = "ops"
    data_view = "rca-logs"
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rca.errors import ConfigError
from rca.i18n import N_


@dataclass(slots=True)
class ElasticsearchSettings:
    """Connection to an Elasticsearch cluster; `url` may also come from the command line."""

    url: str = ""
    index: str = ""
    api_key: str = ""
    username: str = ""
    password: str = ""
    ca_certs: str = ""
    verify_certs: bool = True
    request_timeout: float = 30.0
    page_size: int = 1000


@dataclass(slots=True)
class KibanaSettings:
    """The target of report links: Kibana's base URL, space and data view id."""

    url: str = ""
    space: str = ""
    data_view: str = ""


@dataclass(slots=True)
class Settings:
    """Every setting of the analyzer. Times are in seconds."""

    margin: float = 30.0
    causal_lead: float = 10.0
    stream_above_mb: float = 32.0
    workers: int = 0
    lang: str = ""
    timezone: str = "UTC"
    knowledge_base: list[str] = field(default_factory=list)
    node_timezones: dict[str, str] = field(default_factory=dict)
    clock_offsets: dict[str, float] = field(default_factory=dict)
    elasticsearch: ElasticsearchSettings = field(default_factory=ElasticsearchSettings)
    kibana: KibanaSettings = field(default_factory=KibanaSettings)

    def zone_for(self, node: str) -> ZoneInfo:
        """Return the time zone for zone-less timestamps logged on `node`."""
        return _zone(self.node_timezones.get(node, self.timezone))


# Environment variables and the setting each one sets.
ENVIRONMENT = {
    "RCA_MARGIN": ("margin",),
    "RCA_CAUSAL_LEAD": ("causal_lead",),
    "RCA_STREAM_ABOVE_MB": ("stream_above_mb",),
    "RCA_WORKERS": ("workers",),
    "RCA_LANG": ("lang",),
    "RCA_TIMEZONE": ("timezone",),
    "RCA_ES_URL": ("elasticsearch", "url"),
    "RCA_ES_INDEX": ("elasticsearch", "index"),
    "RCA_ES_API_KEY": ("elasticsearch", "api_key"),
    "RCA_ES_USERNAME": ("elasticsearch", "username"),
    "RCA_ES_PASSWORD": ("elasticsearch", "password"),
    "RCA_ES_CA_CERTS": ("elasticsearch", "ca_certs"),
    "RCA_KIBANA_URL": ("kibana", "url"),
    "RCA_KIBANA_SPACE": ("kibana", "space"),
    "RCA_KIBANA_DATA_VIEW": ("kibana", "data_view"),
}


def load_settings(config_path: str | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the TOML file (if any) and then ``RCA_*`` variables."""
    env = os.environ if environ is None else environ
    settings = Settings()

    path = config_path or env.get("RCA_CONFIG")
    if path:
        _apply_mapping(settings, _read_toml(Path(path)), source=path)

    for variable, key_path in ENVIRONMENT.items():
        if variable in env:
            _set_path(settings, key_path, env[variable], source=variable)

    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """Reject values that cannot work, naming the key."""
    if settings.margin < 0:
        raise ConfigError(N_("margin must be zero or more seconds, not %(value)s"),
                          value=settings.margin)
    if settings.stream_above_mb < 0:
        raise ConfigError(N_("stream_above_mb must be zero or more, not %(value)s"),
                          value=settings.stream_above_mb)
    if settings.workers < 0:
        raise ConfigError(N_("workers must be zero (all cores) or more, not %(value)s"),
                          value=settings.workers)
    if settings.causal_lead < 0:
        raise ConfigError(N_("causal_lead must be zero or more seconds, not %(value)s"),
                          value=settings.causal_lead)
    _zone(settings.timezone)
    for zone in settings.node_timezones.values():
        _zone(zone)
    for node, offset in settings.clock_offsets.items():
        if isinstance(offset, bool) or not isinstance(offset, int | float):
            raise ConfigError(N_("clock_offsets.%(node)s must be a number of seconds, "
                                 "not %(value)r"), node=node, value=offset)
        settings.clock_offsets[node] = float(offset)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(N_("settings file not found: %(path)s. Check the --config or "
                             "RCA_CONFIG value."), path=str(path)) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(N_("%(path)s: invalid TOML: %(error)s"), path=str(path),
                          error=str(error)) from error


def _apply_mapping(target: Any, values: Mapping[str, Any], *, source: str,
                   prefix: str = "") -> None:
    known = {item.name: item for item in dataclasses.fields(target)}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(N_("%(source)s: unknown setting '%(name)s'. Known settings "
                                 "here: %(known)s."), source=source, name=name,
                              known=", ".join(sorted(known)))
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise ConfigError(N_("%(source)s: '%(name)s' must be a table ([%(name)s])."),
                                  source=source, name=name)
            _apply_mapping(current, value, source=source, prefix=f"{name}.")
        else:
            setattr(target, key, _coerce(current, value, name=name, source=source))


def _set_path(settings: Settings, key_path: tuple[str, ...], raw: str, *, source: str) -> None:
    target: Any = settings
    for part in key_path[:-1]:
        target = getattr(target, part)
    current = getattr(target, key_path[-1])
    setattr(target, key_path[-1], _coerce(current, raw, name=".".join(key_path), source=source))


def _coerce(current: Any, value: Any, *, name: str, source: str) -> Any:
    """Convert `value` to the type of the default `current`, or raise ConfigError."""
    try:
        if isinstance(current, bool):
            if isinstance(value, str):
                return _parse_bool(value)
            if isinstance(value, bool):
                return value
            raise TypeError
        if isinstance(current, int | float) and not isinstance(value, bool):
            return type(current)(value)
        if isinstance(current, str):
            if not isinstance(value, str):
                raise TypeError
            return value
        if isinstance(current, list) and isinstance(value, list | str):
            return [str(item) for item in value] if isinstance(value, list) else \
                [item for item in value.split(os.pathsep) if item]
        if isinstance(current, dict) and isinstance(value, Mapping):
            return dict(value)
    except (TypeError, ValueError):
        pass
    raise ConfigError(N_("%(source)s: '%(name)s' has an invalid value %(value)r; "
                         "expected %(type)s."), source=source, name=name, value=value,
                      type=type(current).__name__)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(text)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(N_("unknown time zone '%(zone)s'; use an IANA name such as "
                             "'UTC' or 'Asia/Shanghai'."), zone=name) from error
