"""Settings: read once from the environment and flags, checked whole, handed on unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import ConfigError
from counterflow.settings import DEFAULT_MAX_BODY_BYTES, Settings


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = Settings.defaults(tmp_path)
    assert settings.home == tmp_path
    assert settings.memory_limit == "4GB"
    assert settings.max_body_bytes == DEFAULT_MAX_BODY_BYTES
    assert not settings.open_mode and settings.audit


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "COUNTERFLOW_HOME": str(tmp_path),
            "COUNTERFLOW_MEMORY_LIMIT": "512MB",
            "COUNTERFLOW_RELOAD_SECONDS": "0.5",
            "COUNTERFLOW_OPEN_MODE": "yes",
            "COUNTERFLOW_AUDIT": "off",
            "COUNTERFLOW_MAX_BODY_BYTES": "65536",
            "COUNTERFLOW_LIST_URL_UN_SC": "http://mirror.internal/consolidated.xml",
            "UNRELATED": "x",
        }
    )
    assert settings.home == tmp_path
    assert settings.memory_limit == "512MB"
    assert settings.reload_seconds == 0.5
    assert settings.open_mode and not settings.audit
    assert settings.max_body_bytes == 65536
    assert settings.list_urls == {"un-sc": "http://mirror.internal/consolidated.xml"}


def test_flags_override_the_environment(tmp_path: Path) -> None:
    env = {"COUNTERFLOW_HOME": "/elsewhere", "COUNTERFLOW_RELOAD_SECONDS": "5"}
    settings = Settings.from_env(env, home=tmp_path, reload_seconds=None)
    assert settings.home == tmp_path
    assert settings.reload_seconds == 5


def test_every_bad_value_is_reported_at_once_by_name() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "COUNTERFLOW_RELOAD_SECONDS": "soon",
                "COUNTERFLOW_OPEN_MODE": "perhaps",
                "COUNTERFLOW_MAX_BODY_BYTES": "lots",
            }
        )
    message = str(caught.value)
    for name in (
        "COUNTERFLOW_RELOAD_SECONDS",
        "COUNTERFLOW_OPEN_MODE",
        "COUNTERFLOW_MAX_BODY_BYTES",
    ):
        assert name in message


def test_values_out_of_range_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COUNTERFLOW_MEMORY_LIMIT"):
        Settings.defaults(tmp_path).with_(memory_limit="a lot")
    with pytest.raises(ConfigError, match="COUNTERFLOW_MAX_BODY_BYTES"):
        Settings.defaults(tmp_path).with_(max_body_bytes=10)


def test_to_env_round_trips(tmp_path: Path) -> None:
    settings = Settings.defaults(tmp_path).with_(
        open_mode=True, audit=False, reload_seconds=0.0, list_urls={"ofac-sdn": "file:///x"}
    )
    assert Settings.from_env(settings.to_env()) == settings


def test_cases_url_is_read_checked_and_handed_on(tmp_path: Path) -> None:
    assert Settings.defaults(tmp_path).cases_url is None
    assert Settings.from_env({"COUNTERFLOW_CASES_URL": " "}).cases_url is None
    url = "postgresql://cases:s3cret@db.internal:5432/counterflow"
    settings = Settings.from_env({"COUNTERFLOW_HOME": str(tmp_path), "COUNTERFLOW_CASES_URL": url})
    assert settings.cases_url == url
    assert Settings.from_env(settings.to_env()) == settings
    assert Settings.defaults(tmp_path).with_(cases_url="sqlite:////srv/cases.sqlite").cases_url


def test_a_bad_cases_url_is_refused_without_echoing_its_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COUNTERFLOW_CASES_URL") as caught:
        Settings.from_env({"COUNTERFLOW_CASES_URL": "mysql://root:hunter2@db/cases"})
    assert "hunter2" not in str(caught.value)
    assert "'mysql'" in str(caught.value)
    with pytest.raises(ConfigError, match="COUNTERFLOW_CASES_URL"):
        Settings.defaults(tmp_path).with_(cases_url="cases.sqlite")


def test_case_sla_days_are_read_checked_and_handed_on(tmp_path: Path) -> None:
    assert dict(Settings.defaults(tmp_path).case_sla_days) == {"high": 2, "medium": 10, "low": 30}
    env = {"COUNTERFLOW_HOME": str(tmp_path), "COUNTERFLOW_CASE_SLA_DAYS": "urgent=1, normal=15"}
    settings = Settings.from_env(env)
    assert dict(settings.case_sla_days) == {"urgent": 1, "normal": 15}
    assert Settings.from_env(settings.to_env()) == settings
    with pytest.raises(ConfigError, match="COUNTERFLOW_CASE_SLA_DAYS='high' is not like"):
        Settings.from_env({"COUNTERFLOW_CASE_SLA_DAYS": "high"})
    with pytest.raises(ConfigError) as caught:
        Settings.defaults(tmp_path).with_(case_sla_days={"high": 0, "Low Risk": 5})
    assert "high=0 is not a whole number of days from 1 to 3650" in str(caught.value)
    assert "priority 'Low Risk' is not a short lower-case name" in str(caught.value)
    with pytest.raises(ConfigError, match="at least one priority"):
        Settings.defaults(tmp_path).with_(case_sla_days={})


def test_fiu_profile_is_read_and_handed_on(tmp_path: Path) -> None:
    assert Settings.defaults(tmp_path).fiu_profile is None
    assert Settings.from_env({"COUNTERFLOW_FIU_PROFILE": "  "}).fiu_profile is None
    env = {"COUNTERFLOW_HOME": str(tmp_path), "COUNTERFLOW_FIU_PROFILE": "/srv/fiu.toml"}
    settings = Settings.from_env(env)
    assert settings.fiu_profile == Path("/srv/fiu.toml")
    assert settings.to_env()["COUNTERFLOW_FIU_PROFILE"] == "/srv/fiu.toml"
    assert Settings.from_env(settings.to_env()) == settings
    assert "COUNTERFLOW_FIU_PROFILE" not in Settings.defaults(tmp_path).to_env()
    flagged = Settings.from_env(env, fiu_profile=tmp_path / "other.toml")
    assert flagged.fiu_profile == tmp_path / "other.toml"
    with pytest.raises(ConfigError, match="COUNTERFLOW_FIU_PROFILE is not a file path"):
        Settings.defaults(tmp_path).with_(fiu_profile=Path("fiu\x00.toml"))
