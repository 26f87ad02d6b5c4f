"""One exception hierarchy for the whole library.

The library raises these and never prints or exits; only the CLI and the HTTP service translate
them into messages and status codes.
"""

from __future__ import annotations


class CounterflowError(Exception):
    """Base of every error counterflow raises on purpose."""

    #: HTTP status the service answers with when this error reaches it.
    status = 500


class ConfigError(CounterflowError):
    """A setting, option or parameter file is wrong."""

    status = 400


class NotFoundError(CounterflowError):
    """A list, edition, entity or other named thing does not exist."""

    status = 404


class DataError(CounterflowError):
    """Input data is unusable: the message names the file, the record or line, and the problem."""

    status = 422

    def __init__(self, problem: str, *, path: object = None, location: str | None = None):
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.location = location
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.path or ""
        if self.location:
            where = f"{where}, {self.location}" if where else self.location
        return f"{where}: {self.problem}" if where else self.problem


class DownloadError(CounterflowError):
    """An official list could not be fetched or failed its checks."""

    status = 502


class StoreError(CounterflowError):
    """The workspace database is missing, locked, too new or otherwise unusable."""

    status = 503


class EngineError(CounterflowError):
    """A query failed in the engine (DuckDB or Spark): out of memory, a query it could not run.
    The message names what was running (a monitoring scenario, a trace) and the engine's words;
    ``scenario`` is the monitoring scenario's id when one was running, ``sql`` the SQL the engine
    was given (shown with ``--debug``; never sent to API clients)."""

    status = 500

    def __init__(self, message: str, *, scenario: str | None = None, sql: str = "") -> None:
        self.scenario = scenario
        self.sql = sql
        super().__init__(message)


class AuthenticationError(CounterflowError):
    """A service request came without a valid API key."""

    status = 401


class PermissionDeniedError(CounterflowError):
    """A valid API key whose role does not allow what was asked."""

    status = 403


class ConflictError(CounterflowError):
    """What was asked does not fit the thing's current state: a case transition its status does
    not allow (the message names the status), or a write based on a version that is no longer
    the current one (someone changed it since it was read)."""

    status = 409
