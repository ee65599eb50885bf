"""The lock that keeps two runs from writing into one dataset at the same time (``OUT/.synthgen.lock``).

- Local filesystem: an exclusive ``fcntl.flock`` on the lock file, held for the whole run. The kernel drops it
  when the process dies, however it dies, so a killed run never leaves a stale lock. (flock is reliable on local
  disks; on NFS it depends on the server.)
- Object storage (s3://, gs://, memory://, ...) has no locks. There the lock is an object holding the owner's
  host, pid, a random token and a heartbeat that a background thread refreshes every ``HEARTBEAT_S``. A run
  refuses a lock object unless it is stale: its heartbeat is older than ``STALE_AFTER_S``, or it names a process
  on this host that no longer exists. After writing its own lock object a run reads it back and gives up if
  another run's token is there. This is advisory and best effort: two runs that start within the same moment can
  both pass (there is no atomic create-if-absent through pyarrow/fsspec), and a run paused for longer than
  ``STALE_AFTER_S`` can lose its lock. Use one writer per output prefix (one flow run, many task workers).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import stat
import threading
import time
import uuid
from typing import IO, Any, Protocol

from synthgen.dataset.storage import DatasetStore
from synthgen.errors import UsageError

log = logging.getLogger(__name__)

LOCK_NAME = ".synthgen.lock"
HEARTBEAT_S = 60.0
STALE_AFTER_S = 600.0


class DatasetLock(Protocol):
    def release(self) -> None: ...


def _busy(holder: str, store: DatasetStore) -> UsageError:
    return UsageError(f"{store.field}: another synthgen run ({holder}) is writing to {store.where()!r}")


class FileLock:
    """flock on a local lock file."""

    def __init__(self, store: DatasetStore) -> None:
        path = store.local_path(LOCK_NAME)
        try:  # O_NOFOLLOW: a lock that is a symbolic link is refused, never followed (its target stays untouched)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UsageError(
                    f"{store.field}: {path} is a symbolic link; remove it (synthgen never follows it)"
                ) from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UsageError(f"{store.field}: {path} is not a regular file; remove it")
        handle: IO[str] = os.fdopen(fd, "r+")  # held open for the whole run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise _busy(holder, store) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._handle: IO[str] | None = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def process_exists(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a lock holder, a worker pool's owner)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ObjectLock:
    """A lock object with a heartbeat, for filesystems without locks (see the module docstring for its limits)."""

    def __init__(self, store: DatasetStore, stale_after_s: float = STALE_AFTER_S) -> None:
        self.store = store
        self.stale_after_s = stale_after_s
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        existing = self._read()
        if existing is not None:
            why_stale = self._stale_reason(existing)
            if why_stale is None:
                raise _busy(self._describe(existing), store)
            log.warning("taking over the lock of %s: %s", self._describe(existing), why_stale)
        self._write()
        if (self._read() or {}).get("token") != self.token:
            raise _busy("it took the lock at the same moment", store)
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="synthgen-lock-heartbeat", daemon=True)
        self._heartbeat.start()

    def _read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.store.read_bytes(LOCK_NAME))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}  # unreadable: treated as stale below
        return data if isinstance(data, dict) else {}

    def _write(self) -> None:
        record = {"host": self.host, "pid": os.getpid(), "token": self.token, "heartbeat": time.time()}
        self.store.write_atomic(LOCK_NAME, json.dumps(record).encode())

    def _stale_reason(self, existing: dict[str, Any]) -> str | None:
        heartbeat = existing.get("heartbeat")
        if not isinstance(heartbeat, (int, float)):
            return "the lock object is unreadable"
        if existing.get("host") == self.host and not process_exists(int(existing.get("pid", -1))):
            return "its process no longer exists"
        age = time.time() - heartbeat
        if age > self.stale_after_s:
            return f"no heartbeat for {age:.0f}s"
        return None

    @staticmethod
    def _describe(existing: dict[str, Any]) -> str:
        age = time.time() - existing.get("heartbeat", 0)
        return f"pid {existing.get('pid')} on {existing.get('host')}, heartbeat {age:.0f}s ago"

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                current = self._read() or {}
                if current.get("token") != self.token:
                    log.error("the lock on %s was taken over by %s", self.store.where(), self._describe(current))
                    return
                self._write()
            except Exception as exc:  # a missed heartbeat is retried at the next beat
                log.warning("could not refresh the lock on %s: %s", self.store.where(), exc)

    def release(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._heartbeat.join(timeout=5)
        with contextlib.suppress(Exception):
            if (self._read() or {}).get("token") == self.token:
                self.store.delete(LOCK_NAME)


def take_lock(store: DatasetStore) -> DatasetLock:
    """Locks the dataset for this process; UsageError (exit 2) when another run holds it."""
    return FileLock(store) if store.is_local else ObjectLock(store)
