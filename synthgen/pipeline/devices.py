"""Which device Cycles renders on (``render.device``), resolved once per process before any work.

``auto`` takes a GPU when Cycles lists one (OptiX, then CUDA, HIP, oneAPI, Metal) and the CPU otherwise; an
explicit GPU type Cycles does not list is a usage error. Asking Cycles costs a short Blender start (about a
second), so ``auto`` on a Linux machine with no GPU device nodes goes straight to the CPU, and ``cpu`` never asks.
"""

from __future__ import annotations

import functools
import glob
import json
import logging
import platform
import subprocess
import sys
from dataclasses import dataclass

from synthgen.errors import UsageError

log = logging.getLogger(__name__)

PROBE_PREFIX = "synthgen-devices "  # as blender_scenes.devices prints it
PROBE_TIMEOUT_S = 120.0
# Device nodes a GPU driver makes on Linux (NVIDIA, AMD ROCm, Intel / AMD DRM render nodes, WSL's GPU).
LINUX_GPU_NODES = ("/dev/nvidia[0-9]*", "/dev/kfd", "/dev/dri/renderD*", "/dev/dxg")


@dataclass(frozen=True)
class RenderDevice:
    """The resolved device: ``type`` is CPU or a Cycles GPU type (CUDA, OPTIX, ...); ``gpus`` the devices used."""

    requested: str
    type: str
    gpus: tuple[str, ...] = ()
    reason: str = ""

    @property
    def is_gpu(self) -> bool:
        return self.type != "CPU"

    def describe(self) -> str:
        """One line for the log: ``CUDA (NVIDIA A10, NVIDIA A10, auto: Cycles lists 2 CUDA GPU(s))``."""
        return f"{self.type} ({', '.join((*self.gpus, self.reason))})"

    def record(self) -> dict[str, object]:
        """What the manifest says about it."""
        return {"requested": self.requested, "type": self.type, "gpus": list(self.gpus)}


def linux_without_gpu_nodes() -> bool:
    return platform.system() == "Linux" and not any(glob.glob(pattern) for pattern in LINUX_GPU_NODES)


@functools.cache
def probe_cycles_gpus() -> dict[str, tuple[str, ...]]:
    """GPU type -> device names, as Cycles lists them, from a short Blender subprocess."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "blender_scenes.devices"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"render.device: asking Cycles for its devices took over {PROBE_TIMEOUT_S:.0f} s") from None
    for line in done.stdout.splitlines():
        if line.startswith(PROBE_PREFIX):
            return {kind: tuple(names) for kind, names in json.loads(line[len(PROBE_PREFIX) :]).items()}
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    raise UsageError(f"render.device: could not ask Cycles for its devices ({tail})")


def choose_device(requested: str, listed: dict[str, tuple[str, ...]]) -> RenderDevice:
    """The device for ``render.device`` = ``requested`` given the GPUs Cycles lists (pure)."""
    if requested == "cpu":
        return RenderDevice(requested, "CPU", reason="render.device: cpu")
    if requested == "auto":
        for kind, names in listed.items():
            return RenderDevice(requested, kind, names, reason=f"auto: Cycles lists {len(names)} {kind} GPU(s)")
        return RenderDevice(requested, "CPU", reason="auto: Cycles lists no GPU")
    kind = requested.upper()
    if kind not in listed:
        found = ", ".join(f"{k} ({len(v)})" for k, v in listed.items()) or "no GPU"
        raise UsageError(f"render.device: {requested!r} is not available here (Cycles lists {found}; use auto or cpu)")
    return RenderDevice(requested, kind, listed[kind], reason=f"render.device: {requested}")


@functools.cache
def resolve_device(requested: str) -> RenderDevice:
    """``render.device`` resolved (once per process; the caller says it in its log)."""
    if requested == "cpu":
        device = choose_device(requested, {})
    elif requested == "auto" and linux_without_gpu_nodes():
        device = RenderDevice(requested, "CPU", reason="auto: no GPU device nodes on this machine")
    else:
        device = choose_device(requested, probe_cycles_gpus())
    log.debug("render device: %s", device.describe())
    return device
