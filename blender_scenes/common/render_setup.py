"""Cycles (CPU) settings, the passes synthgen reads, and reading them back as arrays."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import bpy
import numpy as np

# Blender bundles OpenImageIO's Python bindings inside the bpy wheel; they read the multi-part EXR of passes.
sys.path.append(os.path.join(bpy.utils.resource_path("LOCAL"), "python", "lib", "python3.11", "site-packages"))
import OpenImageIO as oiio

BACKGROUND_DEPTH = 1e9  # Cycles writes about 1e10 where a ray hits nothing


def configure_engine(scene: bpy.types.Scene, threads: int) -> None:
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.render.threads_mode = "FIXED"
    scene.render.threads = max(1, threads)
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.cycles.denoiser = "OPENIMAGEDENOISE"
    scene.cycles.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    view_layer = scene.view_layers[0]
    view_layer.use_pass_z = True
    view_layer.use_pass_object_index = True


def apply_render_settings(scene: bpy.types.Scene, render: dict[str, Any]) -> None:
    width, height = render["resolution"]
    scene.render.resolution_x, scene.render.resolution_y = width, height
    cycles = scene.cycles
    cycles.samples = render["spp"]
    cycles.use_adaptive_sampling = render["adaptive_sampling"]
    cycles.adaptive_threshold = render["adaptive_threshold"]
    cycles.use_denoising = render["denoise"]
    cycles.max_bounces = render["max_bounces"]
    cycles.seed = render["cycles_seed"]
    scene.view_settings.view_transform = render["view_transform"]
    scene.view_settings.exposure = 0.0  # a scene builder may set its camera's exposure after this


def render_to_arrays(scene: bpy.types.Scene, scratch: Path) -> dict[str, np.ndarray]:
    """Renders the scene; returns display RGB (uint8), object index (int32) and planar depth (float32, 0 = none)."""
    exr_path = scratch / "passes.exr"
    png_path = scratch / "image.png"
    settings = scene.render.image_settings
    settings.media_type = "MULTI_LAYER_IMAGE"
    settings.file_format = "OPEN_EXR_MULTILAYER"
    settings.exr_codec = "NONE"
    settings.color_depth = "32"
    scene.render.filepath = str(exr_path)
    bpy.ops.render.render(write_still=True)
    # The display image goes through the view transform, which only non-linear formats apply.
    settings.media_type = "IMAGE"
    settings.file_format = "PNG"
    settings.color_mode = "RGB"
    settings.color_depth = "8"
    settings.compression = 0
    bpy.data.images["Render Result"].save_render(str(png_path), scene=scene)
    passes = _read_exr_parts(exr_path)
    depth = passes["Depth"][..., 0].astype(np.float32)
    depth[depth > BACKGROUND_DEPTH] = 0.0
    arrays = {
        "image": _read_png(png_path),
        "object_index": np.rint(passes["Object Index"][..., 0]).astype(np.int32),
        "depth": depth,
    }
    for aov in scene.view_layers[0].aovs:  # shader AOVs (single channel) under their own names
        if aov.name in passes:
            arrays[aov.name] = passes[aov.name][..., 0].astype(np.float32)
    return arrays


def _read_png(path: Path) -> np.ndarray:
    image = oiio.ImageInput.open(str(path))
    try:
        pixels = image.read_image(0, 0, 0, 3, "uint8")
    finally:
        image.close()
    return np.ascontiguousarray(pixels)


def _read_exr_parts(path: Path) -> dict[str, np.ndarray]:
    """Blender writes each pass as its own EXR part ('ViewLayer.Depth.Z' etc.): pass name -> (H, W, C)."""
    image = oiio.ImageInput.open(str(path))
    if image is None:
        raise RuntimeError(f"cannot open render passes {path}: {oiio.geterror()}")
    parts: dict[str, np.ndarray] = {}
    try:
        index = 0
        while image.seek_subimage(index, 0):
            spec = image.spec()
            name = spec.channelnames[0].split(".")[1]
            parts[name] = image.read_image(index, 0, 0, spec.nchannels, "float")
            index += 1
    finally:
        image.close()
    return parts


NIR_LUMINANCE = np.array([0.2126, 0.7152, 0.0722])


def capture_nir(scene: bpy.types.Scene, builder: Any, spec: dict[str, Any], scratch: Path) -> np.ndarray:
    """The near-infrared capture of the applied ``spec``: the builder switches the scene to NIR, Cycles renders
    it at the NIR sample count, the builder switches back. An NIR sensor is monochrome: the capture is the
    luminance of the rendered response (uint8)."""
    saved = builder.begin_nir(spec)
    scene.cycles.samples = spec["nir"]["spp"]
    try:
        image = render_to_arrays(scene, scratch)["image"]
    finally:
        builder.end_nir(spec, saved)
        scene.cycles.samples = spec["render"]["spp"]
    return np.rint(image.astype(np.float32) @ NIR_LUMINANCE).astype(np.uint8)
