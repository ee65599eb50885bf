"""Real services on 127.0.0.1 for the server tests: processes started in their own process groups, always killed
(with every descendant) when the test ends, and waits that are always bounded.

- ``spawned(...)``: a command as a subprocess, its output in a log file, killed with its whole family on exit;
- ``PrefectServer``: ``prefect server start`` on a free port with its own PREFECT_HOME and SQLite database;
- ``MotoServer``: moto's S3 API (``moto_server``) on a free port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from tests.conftest import REPO

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVER_START_TIMEOUT_S = 180.0  # a fresh SQLite database is migrated on first start: slow on a busy 2-core machine
KILL_GRACE_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], T | None], timeout: float, what: str, interval: float = 0.5) -> T:
    """Polls ``condition`` until it returns something truthy; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def _children() -> dict[int, list[int]]:
    """parent pid -> child pids, read from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree = _children()
    found: list[int] = []
    todo = list(tree.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(tree.get(child, []))
    return found


def kill_family(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (graceful shutdown), then SIGKILL to the group and to every descendant found
    before, including those that moved to process groups of their own (flow-run subprocesses, Blender workers)."""
    family = descendants(process.pid)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=KILL_GRACE_S)
    family += [pid for pid in descendants(process.pid) if pid not in family]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in family:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=KILL_GRACE_S)


@contextlib.contextmanager
def spawned(
    args: list[str], log_file: Path, env: Mapping[str, str], cwd: Path = REPO
) -> Iterator[subprocess.Popen[bytes]]:
    """``args`` in a new session (its own process group), stdout and stderr into ``log_file``; killed on exit."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "wb") as output:
        process = subprocess.Popen(
            args, cwd=cwd, env=dict(env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        kill_family(process)


def tail(log_file: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any PREFECT_* or AWS_* setting, plus ``settings``: a subprocess sees only
    the Prefect API and object store its test gives it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_"))}
    env.update(settings)
    return env


@dataclass
class PrefectServer:
    api_url: str
    home: Path
    process: subprocess.Popen[bytes]
    log_file: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a Prefect client process (CLI, worker, served flow) talking to this server."""
        return clean_env(PREFECT_API_URL=self.api_url, PREFECT_HOME=str(self.home), **extra)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"prefect server exited ({self.process.returncode}):\n{tail(self.log_file)}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[PrefectServer]:
    """``prefect server start`` on 127.0.0.1 and a free port, PREFECT_HOME and its SQLite database in ``home``."""
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
    )
    args = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log_file = home / "server.log"
    with spawned(args, log_file, env) as process:
        server = PrefectServer(f"http://127.0.0.1:{port}/api", home, process, log_file)

        def up() -> bool:
            server.check_alive()
            return _healthy(f"{server.api_url}/health")

        wait_until(up, SERVER_START_TIMEOUT_S, f"prefect server on port {port} ({log_file})")
        yield server


@dataclass
class MotoServer:
    endpoint: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def host_port(self) -> str:
        return self.endpoint.removeprefix("http://")

    def env(self) -> dict[str, str]:
        """Credentials and endpoint as every AWS client reads them (moto accepts any key)."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


@contextlib.contextmanager
def moto_server(log_dir: Path) -> Iterator[MotoServer]:
    """moto's server (every AWS API, S3 used here) on 127.0.0.1 and a free port, as its own process."""
    port = free_port()
    log_file = log_dir / "moto.log"
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with spawned(args, log_file, clean_env()) as process:
        server = MotoServer(f"http://127.0.0.1:{port}", process, log_file)

        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"moto server exited ({process.returncode}):\n{tail(log_file)}")
            return _healthy(f"{server.endpoint}/moto-api/")

        wait_until(up, 60, f"moto server on port {port}")
        yield server
