"""Cycles settings, the passes synthgen reads, and reading them back as arrays."""

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
    scene.cycles.device = "CPU"  # blender_scenes.devices.use_device may point it at a GPU
    scene.render.threads_mode = "FIXED"
    scene.render.threads = max(1, threads)
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    view_layer = scene.view_layers[0]
    view_layer.use_pass_z = True
    view_layer.use_pass_object_index = True


# Settings added to the spec after its first version-2 specs were written: a spec without them renders as before
# (these are Cycles' own defaults).
LATER_DEFAULTS: dict[str, Any] = {
    "adaptive_min_samples": 0,
    "denoiser_prefilter": "ACCURATE",
    "denoiser_input": "RGB_ALBEDO_NORMAL",
    "denoiser_quality": "HIGH",
    "diffuse_bounces": 4,
    "glossy_bounces": 4,
    "transmission_bounces": 12,
    "volume_bounces": 0,
    "transparent_bounces": 8,
    "clamp_direct": 0.0,
    "clamp_indirect": 10.0,
    "caustics": True,
    "filter_glossy": 1.0,
    "light_tree": True,
    "scrambling_distance": 1.0,
    "persistent_data": False,
}


def apply_render_settings(scene: bpy.types.Scene, render: dict[str, Any]) -> None:
    width, height = render["resolution"]
    scene.render.resolution_x, scene.render.resolution_y = width, height
    apply_cycles_settings(scene, render)
    scene.view_settings.view_transform = render["view_transform"]
    scene.view_settings.exposure = 0.0  # a scene builder may set its camera's exposure after this


def apply_cycles_settings(scene: bpy.types.Scene, render: dict[str, Any]) -> None:
    """Sampling, light paths, denoiser (what the NIR capture may set apart from the RGB image)."""
    render = LATER_DEFAULTS | render
    cycles = scene.cycles
    cycles.samples = render["spp"]
    cycles.use_adaptive_sampling = render["adaptive_sampling"]
    cycles.adaptive_threshold = render["adaptive_threshold"]
    cycles.adaptive_min_samples = render["adaptive_min_samples"]
    cycles.seed = render["cycles_seed"]
    _apply_light_paths(cycles, render)
    _apply_denoiser(cycles, render)
    cycles.sample_clamp_direct = render["clamp_direct"]
    cycles.sample_clamp_indirect = render["clamp_indirect"]
    cycles.caustics_reflective = cycles.caustics_refractive = render["caustics"]
    cycles.blur_glossy = render["filter_glossy"]
    cycles.use_light_tree = render["light_tree"]
    cycles.auto_scrambling_distance = False
    cycles.scrambling_distance = render["scrambling_distance"]


def _apply_light_paths(cycles: Any, render: dict[str, Any]) -> None:
    cycles.max_bounces = render["max_bounces"]
    cycles.diffuse_bounces = render["diffuse_bounces"]
    cycles.glossy_bounces = render["glossy_bounces"]
    cycles.transmission_bounces = render["transmission_bounces"]
    cycles.volume_bounces = render["volume_bounces"]
    cycles.transparent_max_bounces = render["transparent_bounces"]


def _apply_denoiser(cycles: Any, render: dict[str, Any]) -> None:
    cycles.use_denoising = render["denoise"]
    cycles.denoiser = "OPENIMAGEDENOISE"
    cycles.denoising_prefilter = render["denoiser_prefilter"]
    cycles.denoising_input_passes = render["denoiser_input"]
    cycles.denoising_quality = render["denoiser_quality"]


def start_fresh_renders(scene: bpy.types.Scene, keep_between: bool) -> None:
    """Before the first render of a sample (or of a source capture): drops whatever Cycles kept from earlier
    renders (turning persistent data off frees it), then keeps the scene data for this sample's later renders
    (the NIR capture) if ``keep_between``. So a sample's pixels never depend on what its worker rendered before."""
    scene.render.use_persistent_data = False
    scene.render.use_persistent_data = keep_between


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
    if "Normal" in passes:  # opt-in (blender_scenes.common.label_passes)
        arrays["Normal"] = passes["Normal"].astype(np.float32)
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
    it at the NIR sample count and the NIR render settings (``render.nir``: where they differ from the RGB
    image's), the builder switches back. An NIR sensor is monochrome: the capture is the luminance of the
    rendered response (uint8)."""
    saved = builder.begin_nir(spec)
    render = spec["render"]
    apply_cycles_settings(scene, render | render.get("nir", {}) | {"spp": spec["nir"]["spp"]})
    try:
        image = render_to_arrays(scene, scratch)["image"]
    finally:
        builder.end_nir(spec, saved)
        apply_cycles_settings(scene, render)
    return np.rint(image.astype(np.float32) @ NIR_LUMINANCE).astype(np.uint8)
