"""Cycles compute devices: which GPUs Cycles lists, and pointing a worker's scene at one of them.

``python -m blender_scenes.devices`` prints the listed GPUs as one JSON line (``{"CUDA": ["NVIDIA ..."], ...}``):
the probe ``synthgen.pipeline.devices`` runs before a job when it has to know.
"""

from __future__ import annotations

import json
import logging

import bpy

log = logging.getLogger("blender_scenes.devices")

GPU_TYPES = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")  # synthgen's preference order for render.device: auto
PROBE_PREFIX = "synthgen-devices "  # marks the probe's line among Blender's own output


def _preferences() -> bpy.types.AddonPreferences:
    return bpy.context.preferences.addons["cycles"].preferences


def listed_gpus() -> dict[str, list[str]]:
    """GPU device type -> the names of the devices Cycles lists for it (types with none left out)."""
    preferences = _preferences()
    listed = {}
    for device_type in GPU_TYPES:
        try:
            devices = preferences.get_devices_for_type(device_type)
        except (TypeError, ValueError):  # a type this build of Cycles does not have (METAL off macOS)
            continue
        names = [device.name for device in devices if device.type == device_type]
        if names:
            listed[device_type] = names
    return listed


def use_device(scene: bpy.types.Scene, device_type: str, gpu_index: int | None) -> str:
    """Renders ``scene`` on the CPU or on one GPU (``gpu_index`` of the type's devices; None = all of them).
    Returns what it chose, for the worker's ready message."""
    if device_type == "CPU":
        scene.cycles.device = "CPU"
        return "CPU"
    preferences = _preferences()
    preferences.compute_device_type = device_type
    gpus = [device for device in preferences.get_devices_for_type(device_type) if device.type == device_type]
    if not gpus or (gpu_index is not None and gpu_index >= len(gpus)):
        raise RuntimeError(f"render.device: Cycles lists {len(gpus)} {device_type} device(s), wanted #{gpu_index}")
    for device in preferences.devices:
        device.use = False
    chosen = gpus if gpu_index is None else [gpus[gpu_index]]
    for device in chosen:
        device.use = True
    scene.cycles.device = "GPU"
    return f"{device_type}: {', '.join(device.name for device in chosen)}"


if __name__ == "__main__":
    print(PROBE_PREFIX + json.dumps(listed_gpus()), flush=True)  # noqa: T201 (the probe's answer)
