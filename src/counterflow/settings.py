"""Settings: read once, from the command line's flags and the ``COUNTERFLOW_*`` environment
variables, checked whole, then passed down (never read again from the environment below here).

This is the only module that reads ``os.environ``. The command line builds one
:class:`Settings` per invocation; ``counterflow serve`` hands it to its worker processes through
the environment (:meth:`Settings.to_env`), and each worker reads it back once. Library callers
build their own with :meth:`Settings.defaults`, or take the environment's with
:meth:`Settings.from_env`. Every variable is listed in ``docs/cli.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import platformdirs

from counterflow.errors import ConfigError

PREFIX = "COUNTERFLOW_"
HOME_ENV = "COUNTERFLOW_HOME"
MEMORY_LIMIT_ENV = "COUNTERFLOW_MEMORY_LIMIT"
RELOAD_ENV = "COUNTERFLOW_RELOAD_SECONDS"
OPEN_MODE_ENV = "COUNTERFLOW_OPEN_MODE"
AUDIT_ENV = "COUNTERFLOW_AUDIT"
MAX_BODY_ENV = "COUNTERFLOW_MAX_BODY_BYTES"
CASES_URL_ENV = "COUNTERFLOW_CASES_URL"
CASE_SLA_ENV = "COUNTERFLOW_CASE_SLA_DAYS"
FIU_PROFILE_ENV = "COUNTERFLOW_FIU_PROFILE"
LIST_URL_PREFIX = "COUNTERFLOW_LIST_URL_"

#: DuckDB's working memory for monitoring; beyond it, joins and sorts spill to ``<home>/tmp``.
#: DuckDB's own default is 80% of the machine's memory, which starves everything else.
DEFAULT_MEMORY_LIMIT = "4GB"
#: the largest request body the service reads; a /match batch of 500 queries fits in well
#: under 1 MiB, so 4 MiB leaves room without letting anyone fill the server's memory
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
#: days from a case's opening to its due date, by the case's priority
DEFAULT_CASE_SLA_DAYS: Mapping[str, int] = MappingProxyType({"high": 2, "medium": 10, "low": 30})
_PRIORITY = re.compile(r"[a-z][a-z0-9-]{0,15}")
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|KIB|MB|MIB|GB|GIB|TB|TIB)?", re.IGNORECASE)
#: the case store's URL schemes: SQLite (a file) or PostgreSQL (a server), with or without a driver
_CASES_URL = re.compile(r"(sqlite|postgres|postgresql)(\+\w+)?://.*", re.IGNORECASE | re.DOTALL)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def default_home() -> Path:
    """The per-user data folder of this platform, where the workspace lives by default."""
    return Path(platformdirs.user_data_dir("counterflow", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything counterflow can be told outside a command's own options."""

    #: the workspace folder
    home: Path = field(default_factory=default_home)
    #: DuckDB's memory cap for monitoring and analytics ("4GB", "512MB")
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    #: the service: seconds between looks for new list editions (0: never)
    reload_seconds: float = 2.0
    #: the service: no API keys checked (a local trial on loopback only)
    open_mode: bool = False
    #: the service: write the audit trail (off only to measure what it costs)
    audit: bool = True
    #: the service: the largest request body read
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: list id -> URL to download it from instead of the official source (a mirror)
    list_urls: Mapping[str, str] = field(default_factory=dict)
    #: the case store (cases, users, decisions): a SQLAlchemy URL such as
    #: ``postgresql://user@host/db``; None: ``<home>/cases.sqlite``
    cases_url: str | None = None
    #: priority -> days from a case's opening to its due date (``high=2,medium=10,low=30``)
    case_sla_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CASE_SLA_DAYS))
    #: the service: the FIU profile (TOML) goAML reports are written under
    #: (``GET /cases/{id}/goaml``); None: the service writes none
    fiu_profile: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser())
        if self.fiu_profile is not None:
            object.__setattr__(self, "fiu_profile", Path(self.fiu_profile).expanduser())
        object.__setattr__(self, "list_urls", MappingProxyType(dict(self.list_urls)))
        object.__setattr__(self, "case_sla_days", MappingProxyType(dict(self.case_sla_days)))
        problems = self.problems()
        if problems:
            raise ConfigError("settings have problems:\n- " + "\n- ".join(problems))

    def problems(self) -> list[str]:
        found = []
        if not _MEMORY.fullmatch(self.memory_limit.strip()):
            found.append(
                f"{MEMORY_LIMIT_ENV} {self.memory_limit!r} is not a size like 4GB or 512MB"
            )
        if not 0 <= self.reload_seconds <= 3600:
            found.append(f"{RELOAD_ENV} {self.reload_seconds} is not between 0 and 3600")
        if not 1024 <= self.max_body_bytes <= 1024**3:
            found.append(f"{MAX_BODY_ENV} {self.max_body_bytes} is not between 1024 and 2**30")
        if self.cases_url is not None and not _CASES_URL.fullmatch(self.cases_url.strip()):
            # the URL may carry a password: name the scheme only
            scheme = self.cases_url.split("://", 1)[0] if "://" in self.cases_url else ""
            found.append(
                f"{CASES_URL_ENV} is not a sqlite:/// or postgresql:// URL"
                + (f" (scheme {scheme!r})" if scheme and len(scheme) <= 40 else "")
            )
        found.extend(_sla_problems(self.case_sla_days))
        if self.fiu_profile is not None and (
            not str(self.fiu_profile).strip() or "\x00" in str(self.fiu_profile)
        ):
            found.append(f"{FIU_PROFILE_ENV} is not a file path")
        return found

    @classmethod
    def defaults(cls, home: str | os.PathLike[str] | None = None) -> Settings:
        """The built-in settings (no environment), for ``home`` or the default folder."""
        return cls(home=Path(home)) if home else cls()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The ``COUNTERFLOW_*`` variables of ``environ`` (default: this process's), with
        ``overrides`` (flags given on the command line, None meaning "not given") on top.
        Every bad value is reported at once, naming its variable."""
        env = os.environ if environ is None else environ
        problems: list[str] = []
        values: dict[str, Any] = {}
        if env.get(HOME_ENV):
            values["home"] = Path(env[HOME_ENV])
        if env.get(MEMORY_LIMIT_ENV):
            values["memory_limit"] = env[MEMORY_LIMIT_ENV]
        if env.get(CASES_URL_ENV, "").strip():
            values["cases_url"] = env[CASES_URL_ENV].strip()
        if env.get(FIU_PROFILE_ENV, "").strip():
            values["fiu_profile"] = Path(env[FIU_PROFILE_ENV].strip())
        _number(env, RELOAD_ENV, float, "reload_seconds", values, problems)
        _number(env, MAX_BODY_ENV, int, "max_body_bytes", values, problems)
        _flag(env, OPEN_MODE_ENV, "open_mode", values, problems)
        _sla(env, values, problems)
        _flag(env, AUDIT_ENV, "audit", values, problems)
        urls = {
            key[len(LIST_URL_PREFIX) :].lower().replace("_", "-"): value
            for key, value in env.items()
            if key.startswith(LIST_URL_PREFIX) and value
        }
        if urls:
            values["list_urls"] = urls
        values.update({k: v for k, v in overrides.items() if v is not None})
        if problems:
            raise ConfigError("environment variables have problems:\n- " + "\n- ".join(problems))
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables, for worker processes to read back."""
        env = {
            HOME_ENV: str(self.home),
            MEMORY_LIMIT_ENV: self.memory_limit,
            RELOAD_ENV: repr(self.reload_seconds),
            OPEN_MODE_ENV: "1" if self.open_mode else "0",
            AUDIT_ENV: "1" if self.audit else "0",
            MAX_BODY_ENV: str(self.max_body_bytes),
        }
        if self.cases_url is not None:
            env[CASES_URL_ENV] = self.cases_url
        if self.fiu_profile is not None:
            env[FIU_PROFILE_ENV] = str(self.fiu_profile)
        env[CASE_SLA_ENV] = ",".join(f"{k}={v}" for k, v in self.case_sla_days.items())
        for list_id, url in self.list_urls.items():
            env[LIST_URL_PREFIX + list_id.upper().replace("-", "_")] = url
        return env

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed."""
        return replace(self, **changes)


def _number(
    env: Mapping[str, str],
    name: str,
    kind: type[int] | type[float],
    key: str,
    values: dict[str, Any],
    problems: list[str],
) -> None:
    raw = env.get(name)
    if not raw:
        return
    try:
        values[key] = kind(raw)
    except ValueError:
        problems.append(f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number")


def _flag(
    env: Mapping[str, str], name: str, key: str, values: dict[str, Any], problems: list[str]
) -> None:
    raw = env.get(name)
    if not raw:
        return
    if raw.lower() in _TRUE:
        values[key] = True
    elif raw.lower() in _FALSE:
        values[key] = False
    else:
        problems.append(f"{name}={raw!r} is not 1 or 0")


def _sla_problems(sla: Mapping[str, int]) -> list[str]:
    if not sla:
        return [f"{CASE_SLA_ENV}: at least one priority needs its number of days"]
    found = []
    for priority, days in sla.items():
        if not isinstance(priority, str) or not _PRIORITY.fullmatch(priority):
            found.append(
                f"{CASE_SLA_ENV}: priority {priority!r} is not a short lower-case name (high)"
            )
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            found.append(
                f"{CASE_SLA_ENV}: {priority}={days!r} is not a whole number of days from 1 to 3650"
            )
    return found


def _sla(env: Mapping[str, str], values: dict[str, Any], problems: list[str]) -> None:
    """``high=2,medium=10,low=30``: days to a case's due date by priority."""
    raw = env.get(CASE_SLA_ENV, "").strip()
    if not raw:
        return
    parsed: dict[str, int] = {}
    for part in raw.split(","):
        priority, sep, days = part.partition("=")
        if not sep or not days.strip().isdigit():
            problems.append(f"{CASE_SLA_ENV}={raw!r} is not like high=2,medium=10,low=30")
            return
        parsed[priority.strip().lower()] = int(days.strip())
    values["case_sla_days"] = parsed
