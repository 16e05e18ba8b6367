"""Settings: file, environment and defaults, with unknown keys rejected."""

import pytest

from rca.errors import ConfigError
from rca.settings import load_settings


def test_defaults_without_file_or_environment():
    settings = load_settings(None, environ={})

    assert settings.margin == 30.0
    assert settings.timezone == "UTC"


def test_file_values_are_read(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text('margin = 45\n[kibana]\nurl = "https://kibana.example.com"\n'
                      '[clock_offsets]\nweb-1 = 2.5\n')

    settings = load_settings(str(config), environ={})

    assert settings.margin == 45.0
    assert settings.kibana.url == "https://kibana.example.com"
    assert settings.clock_offsets == {"web-1": 2.5}


def test_environment_overrides_file(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text("margin = 45\n")

    settings = load_settings(str(config), environ={"RCA_MARGIN": "10"})

    assert settings.margin == 10.0


def test_config_path_from_environment(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text('timezone = "Asia/Shanghai"\n')

    settings = load_settings(None, environ={"RCA_CONFIG": str(config)})

    assert settings.timezone == "Asia/Shanghai"


def test_unknown_key_is_rejected_by_name(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text("margn = 45\n")

    with pytest.raises(ConfigError, match="unknown setting 'margn'"):
        load_settings(str(config), environ={})


def test_unknown_nested_key_is_rejected(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text('[kibana]\nspaces = "ops"\n')

    with pytest.raises(ConfigError, match="kibana.spaces"):
        load_settings(str(config), environ={})


def test_invalid_toml_names_file(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text("margin = \n")

    with pytest.raises(ConfigError, match="rca.toml: invalid TOML"):
        load_settings(str(config), environ={})


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(str(tmp_path / "absent.toml"), environ={})


def test_wrong_type_is_rejected(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text('margin = "wide"\n')

    with pytest.raises(ConfigError, match="'margin' has an invalid value"):
        load_settings(str(config), environ={})


def test_unknown_time_zone_is_rejected():
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Base'"):
        load_settings(None, environ={"RCA_TIMEZONE": "Mars/Base"})


def test_negative_margin_is_rejected():
    with pytest.raises(ConfigError, match="margin"):
        load_settings(None, environ={"RCA_MARGIN": "-1"})


def test_boolean_from_environment(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text("[elasticsearch]\nverify_certs = false\n")

    settings = load_settings(str(config), environ={})

    assert settings.elasticsearch.verify_certs is False


def test_non_numeric_clock_offset_is_rejected(tmp_path):
    config = tmp_path / "rca.toml"
    config.write_text('[clock_offsets]\nweb-1 = "fast"\n')

    with pytest.raises(ConfigError, match="clock_offsets.web-1"):
        load_settings(str(config), environ={})
