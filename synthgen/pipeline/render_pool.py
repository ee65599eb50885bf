"""Client side of the render workers: long-lived Blender processes fed batches of specs.

Each worker is a separate process (``python -m blender_scenes.worker``) in its own process group. A worker that
crashes, or takes longer than the time-out for one render, is killed with its whole group and replaced, and the
specs of its batch that had not come back are retried. Results are keyed by render index, so a retry never
duplicates a sample and a spec that fails on every retry stops the job with an error instead of vanishing.
Workers are recycled after a bounded number of renders, which keeps Blender's memory flat.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from synthgen.dataset.lock import process_exists
from synthgen.errors import RenderFailed


def remove_leftover_pool_dirs() -> None:
    """Removes the worker folders (logs, scratch EXRs) of pools whose process no longer exists."""
    for folder in Path(tempfile.gettempdir()).glob(f"{LOG_DIR_PREFIX}*"):
        pid_text = folder.name.removeprefix(LOG_DIR_PREFIX).split("-", 1)[0]
        if folder.is_dir() and not folder.is_symlink() and pid_text.isdigit() and not process_exists(int(pid_text)):
            shutil.rmtree(folder, ignore_errors=True)


log = logging.getLogger(__name__)

WORKER_MODULE = "blender_scenes.worker"
LOG_DIR_PREFIX = "synthgen-workers-"  # + the pool's pid: leftovers of a killed run are removed by the next pool
DEFAULT_STARTUP_TIMEOUT_S = 300.0  # render.timeout_s's default, for a worker started outside a pool
LOOKAHEAD_BATCHES_PER_WORKER = 3  # batches queued ahead of each worker: it stays busy while specs are drawn


class WorkerLost(Exception):
    """The worker died or stopped answering; it has been killed."""


@dataclass
class RenderWorker:
    """One Blender worker process and the two pipes to it."""

    worker_id: int
    threads: int
    log_dir: Path
    device_type: str = "CPU"  # or a Cycles GPU type (CUDA, OPTIX, HIP, ONEAPI, METAL)
    gpu_index: int | None = None  # which of that type's GPUs (None: all)
    module: str = WORKER_MODULE
    renders_done: int = 0
    device: str | None = None  # what the worker reported it renders on
    pid: int | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _to_worker: Connection | None = field(default=None, repr=False)
    _from_worker: Connection | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"worker-{self.worker_id}.log"

    @property
    def scratch_dir(self) -> Path:
        """The worker's scratch files (EXR passes) live here, inside the pool's folder, so they go with it even
        when the worker is killed before it could clean up."""
        return self.log_dir / f"worker-{self.worker_id}-scratch"

    def start(self, timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S) -> None:
        """Starts the process and waits up to ``timeout_s`` (the pool passes render.timeout_s) for it to be ready."""
        self.scratch_dir.mkdir(exist_ok=True)
        child_in, parent_out = os.pipe()
        parent_in, child_out = os.pipe()
        with open(self.log_path, "ab") as log_file:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    self.module,
                    "--fd-in",
                    str(child_in),
                    "--fd-out",
                    str(child_out),
                    "--threads",
                    str(self.threads),
                    "--device",
                    self.device_type,
                    *(["--gpu-index", str(self.gpu_index)] if self.gpu_index is not None else []),
                    "--scratch",
                    str(self.scratch_dir),
                ],
                pass_fds=(child_in, child_out),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
                start_new_session=True,  # its own process group, so a kill takes any children with it
            )
        os.close(child_in)
        os.close(child_out)
        self._to_worker = Connection(parent_out, readable=False)
        self._from_worker = Connection(parent_in, writable=False)
        self.pid = self._process.pid
        self.renders_done = 0
        message = self._receive(timeout_s, "starting")
        if message[0] != "ready":
            self.kill()
            raise WorkerLost(f"worker {self.worker_id} sent {message[0]!r} instead of 'ready'")
        self.device = message[1].get("device")
        log.debug(
            "worker %d (pid %d) ready in %.2fs on %s", self.worker_id, self.pid, message[1]["startup_s"], self.device
        )

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def render_batch(self, specs: list[dict[str, Any]], timeout_s: float) -> Iterator[tuple[str, int, Any]]:
        """Sends a batch and yields ("result" | "error", render_index, payload) as each spec finishes."""
        assert self._to_worker is not None
        try:
            self._to_worker.send(("render", specs))
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            raise WorkerLost(f"worker {self.worker_id} is gone ({exc})") from None
        while True:
            message = self._receive(timeout_s, "rendering")
            if message[0] == "batch_done":
                return
            self.renders_done += 1
            yield message

    def _receive(self, timeout_s: float, doing: str) -> tuple[Any, ...]:
        assert self._from_worker is not None
        try:
            if self._from_worker.poll(timeout_s):
                return self._from_worker.recv()
        except (EOFError, OSError):
            code = self._process.wait(timeout=10) if self._process else None
            self.kill()
            raise WorkerLost(
                f"worker {self.worker_id} died while {doing} (exit code {code}); {self.log_tail()}"
            ) from None
        self.kill()
        raise WorkerLost(f"worker {self.worker_id} hung while {doing} (no answer in {timeout_s:.0f}s); killed")

    def log_tail(self, lines: int = 3) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return "no log"
        return "log: " + " | ".join(tail) if tail else "empty log"

    def stop(self) -> None:
        """Asks the worker to exit; kills it if it does not."""
        if self.alive and self._to_worker is not None:
            try:
                self._to_worker.send(("stop",))
                assert self._process is not None
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        for conn in (self._to_worker, self._from_worker):
            if conn is not None:
                conn.close()
        self._to_worker = self._from_worker = None


@dataclass
class _Batch:
    specs: list[dict[str, Any]]
    attempt: int = 0


@dataclass
class RenderResult:
    spec: dict[str, Any]
    output: dict[str, Any]


class RenderPool:
    """W render workers fed from one queue of batches. Use as a context manager."""

    def __init__(
        self,
        workers: int,
        threads_per_worker: int,
        batch_size: int,
        timeout_s: float,
        retries: int,
        max_renders_per_worker: int,
        device_type: str = "CPU",
        gpus: int = 0,
        worker_module: str = WORKER_MODULE,
    ) -> None:
        """``gpus`` > 0: worker i renders on GPU i % gpus of ``device_type``."""
        self.batch_size = batch_size
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_renders_per_worker = max_renders_per_worker
        remove_leftover_pool_dirs()
        self._log_dir = Path(tempfile.mkdtemp(prefix=f"{LOG_DIR_PREFIX}{os.getpid()}-"))
        self.workers = [
            RenderWorker(
                i, threads_per_worker, self._log_dir, device_type, i % gpus if gpus else None, module=worker_module
            )
            for i in range(workers)
        ]
        self.restarts = 0
        self._closed = False

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.alive and w.pid is not None]

    def render(self, specs: Iterable[dict[str, Any]]) -> Iterator[RenderResult]:
        """Renders every spec exactly once; yields results in completion order.

        ``specs`` is consumed lazily: a few batches per worker are queued ahead of the workers and the rest is
        drawn as results come in, so sampling specs overlaps rendering and a job of millions of renders never
        holds all its specs in memory.
        """
        spec_iter = iter(specs)
        batches: queue.Queue[_Batch | None] = queue.Queue()
        pending: dict[int, dict[str, Any]] = {}  # sent to the workers and not yet back; only this thread uses it
        ahead = LOOKAHEAD_BATCHES_PER_WORKER * len(self.workers) * self.batch_size

        def feed() -> bool:
            """Queues the next batch; False once ``specs`` is exhausted."""
            batch = list(itertools.islice(spec_iter, self.batch_size))
            for spec in batch:
                pending[spec["render_index"]] = spec
            if batch:
                batches.put(_Batch(batch))
            return bool(batch)

        more = True
        while more and len(pending) < ahead:
            more = feed()
        if not pending:
            return
        outputs: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=self._drive,
                args=(w, batches, outputs, stop),
                daemon=True,
                name=f"render-{w.worker_id}",
            )
            for w in self.workers
        ]
        for thread in threads:
            thread.start()
        try:
            while pending:
                kind, payload = outputs.get()
                if kind == "failed":
                    raise RenderFailed(payload)
                render_index, output = payload
                spec = pending.pop(render_index, None)
                if spec is None:  # cannot happen by construction; never emit a sample twice
                    log.warning("dropped a second result for render %d", render_index)
                    continue
                while more and len(pending) < ahead:
                    more = feed()
                yield RenderResult(spec, output)
        finally:
            stop.set()
            for _ in threads:
                batches.put(None)
            if pending:  # the consumer stopped early or a batch failed: do not leave renders running
                for worker in self.workers:
                    worker.kill()
            for thread in threads:
                thread.join()

    def _drive(
        self,
        worker: RenderWorker,
        batches: queue.Queue[_Batch | None],
        outputs: queue.Queue[tuple[str, Any]],
        stop: threading.Event,
    ) -> None:
        while not stop.is_set():
            batch = batches.get()
            if batch is None or stop.is_set():
                return
            remaining = {spec["render_index"]: spec for spec in batch.specs}
            try:
                if worker.alive and worker.renders_done >= self.max_renders_per_worker:
                    log.debug("recycling worker %d after %d renders", worker.worker_id, worker.renders_done)
                    worker.stop()
                if not worker.alive:
                    worker.start(self.timeout_s)
                for kind, render_index, payload in worker.render_batch(list(remaining.values()), self.timeout_s):
                    if kind == "error":
                        stop.set()
                        outputs.put(("failed", f"render {render_index} raised in the worker:\n{payload}"))
                        return
                    remaining.pop(render_index, None)
                    outputs.put(("result", (render_index, payload)))
            except WorkerLost as exc:
                if stop.is_set():  # the pool is stopping (Ctrl-C, a failed batch): its kill is not a crash
                    log.debug("worker %d stopped with the pool", worker.worker_id)
                    return
                self.restarts += 1
                if batch.attempt >= self.retries:
                    stop.set()
                    outputs.put(
                        (
                            "failed",
                            f"{exc}; gave up on renders {sorted(remaining)} after {batch.attempt + 1} tries",
                        )
                    )
                    return
                log.warning("%s; retrying %d render(s)", exc, len(remaining))
                batches.put(_Batch(list(remaining.values()), batch.attempt + 1))
            except Exception as exc:  # anything unexpected must surface, not hang the consumer
                stop.set()
                outputs.put(("failed", f"render thread {worker.worker_id} failed: {exc!r}"))
                return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for worker in self.workers:
            worker.stop()
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline and any(w.alive for w in self.workers):
            time.sleep(0.05)
        shutil.rmtree(self._log_dir, ignore_errors=True)  # logs and scratch of every worker, killed ones too
