"""The temporary Prefect server that ``python -m flows`` relies on when no PREFECT_API_URL is set.

Prefect starts it on the first API call and gives it ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` (20 by
default) to answer. On a busy 2-core machine its first start (a fresh SQLite database is migrated) can take longer,
and the run then died with a traceback ("Timed out while attempting to connect to ephemeral Prefect API server").
Here the limit is raised to ``STARTUP_TIMEOUT_S`` unless the user set it, and a server that still does not start is
reported on one line naming the setting.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

STARTUP_TIMEOUT_S = 120
TIMEOUT_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
_PREFECT_TIMEOUT_MESSAGE = "Timed out while attempting to connect to ephemeral Prefect API server"


@contextlib.contextmanager
def patient_temporary_server() -> Iterator[int]:
    """Prefect settings for the block: the temporary server's start-up limit (yielded, in seconds) is
    ``STARTUP_TIMEOUT_S`` when the user left it at Prefect's default; a value they set (environment or profile)
    is kept."""
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, get_current_settings
    from prefect.settings.context import temporary_settings

    ephemeral = get_current_settings().server.ephemeral
    if "startup_timeout_seconds" in ephemeral.model_fields_set:
        yield ephemeral.startup_timeout_seconds
        return
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: STARTUP_TIMEOUT_S}):
        yield STARTUP_TIMEOUT_S


def startup_failure(exc: BaseException, timeout_s: int) -> str | None:
    """A one-line explanation when ``exc`` is Prefect's "temporary server did not start" error, else None."""
    if not (isinstance(exc, RuntimeError) and str(exc).startswith(_PREFECT_TIMEOUT_MESSAGE)):
        return None
    exited = " (its process exited)" if "process exited" in str(exc) else ""
    return (
        f"Prefect's temporary server did not start within {timeout_s}s{exited}: raise {TIMEOUT_SETTING} "
        f"(now {timeout_s}), or run `prefect server start` and set PREFECT_API_URL"
    )
