"""Cycles settings, the passes synthgen reads, and reading them back as arrays."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import bpy
import mathutils
import numpy as np

# Blender bundles OpenImageIO's Python bindings inside the bpy wheel; they read the multi-part EXR of passes.
sys.path.append(os.path.join(bpy.utils.resource_path("LOCAL"), "python", "lib", "python3.11", "site-packages"))
import OpenImageIO as oiio

from synthgen.scenes.common.camera_math import intrinsics
from synthgen.scenes.common.lens_distortion import widening
from synthgen.scenes.common.sensor_model import metered_ev

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


def render_to_arrays(
    scene: bpy.types.Scene, scratch: Path, metering: dict[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """Renders the scene; returns display RGB (uint8), object index (int32) and planar depth (float32, 0 = none).

    With ``metering`` (a camera model's auto-exposure) the display image is exposed by the meter's reading of the
    linear render (``synthgen.scenes.common.sensor_model.metered_ev``) on top of the scene's own exposure, and
    ``metered_ev`` (a 0-d array) is returned too: the view transform runs when the image is saved, so this costs
    no second render."""
    exr_path = scratch / "passes.exr"
    png_path = scratch / "image.png"
    settings = scene.render.image_settings
    settings.media_type = "MULTI_LAYER_IMAGE"
    settings.file_format = "OPEN_EXR_MULTILAYER"
    settings.exr_codec = "NONE"
    settings.color_depth = "32"
    scene.render.filepath = str(exr_path)
    bpy.ops.render.render(write_still=True)
    passes = _read_exr_parts(exr_path)
    exposure = scene.view_settings.exposure
    ev = None
    if metering is not None:
        subject = np.rint(passes["Object Index"][..., 0]) == SUBJECT_PASS_INDEX
        ev = metered_ev(passes["Combined"][..., :3], subject, metering)
        scene.view_settings.exposure = exposure + ev
    # The display image goes through the view transform, which only non-linear formats apply.
    settings.media_type = "IMAGE"
    settings.file_format = "PNG"
    settings.color_mode = "RGB"
    settings.color_depth = "8"
    settings.compression = 0
    try:
        bpy.data.images["Render Result"].save_render(str(png_path), scene=scene)
    finally:
        scene.view_settings.exposure = exposure
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
    if ev is not None:
        arrays["metered_ev"] = np.float32(ev)
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


SUBJECT_PASS_INDEX = 1  # the scene's subject (a hand, an attack instrument, the primary product)
_moved: list[bpy.types.Object] = []  # objects given motion keyframes by the last ``apply_camera_optics``


def reset_camera_optics(scene: bpy.types.Scene) -> None:
    """Removes the last sample's depth of field and motion keyframes before a builder sets the next spec (whose
    apply may render: an attack's source capture must not see the previous sample's optics)."""
    if scene.camera is not None:
        scene.camera.data.dof.use_dof = False
    scene.render.use_motion_blur = False
    if not _moved:
        return
    for obj in _moved:
        obj.animation_data_clear()
    _moved.clear()
    scene.frame_set(1)


def _subject_objects(scene: bpy.types.Scene) -> list[bpy.types.Object]:
    return [o for o in scene.objects if o.pass_index == SUBJECT_PASS_INDEX and not o.hide_render and o.type == "MESH"]


def _focus_distance(
    camera: bpy.types.Object, subjects: list[bpy.types.Object], focus_points: list[list[float]] | None
) -> float:
    """Distance along the view axis to the mean of ``focus_points`` (a hand's keypoints: the hand, not its
    forearm), else to the centre of the subject's evaluated bounding box, else 1 m."""
    if focus_points:
        centre = mathutils.Vector(np.mean(np.asarray(focus_points, dtype=float), axis=0).tolist())
    elif subjects:
        depsgraph = bpy.context.evaluated_depsgraph_get()
        corners = []
        for obj in subjects:
            evaluated = obj.evaluated_get(depsgraph)
            corners += [evaluated.matrix_world @ mathutils.Vector(corner) for corner in evaluated.bound_box]
        centre = sum(corners, mathutils.Vector()) / len(corners)
    else:
        return 1.0
    forward = camera.matrix_world.to_3x3() @ mathutils.Vector((0.0, 0.0, -1.0))
    return max(0.01, (centre - camera.matrix_world.translation).dot(forward))


def apply_camera_optics(
    scene: bpy.types.Scene,
    camera: bpy.types.Object,
    model: dict[str, Any] | None,
    focus_points: list[list[float]] | None = None,
) -> dict:
    """Depth of field (a thin lens focused on the subject) and motion blur (the subject moving at the spec's
    camera-frame velocity during the shutter) of a spec's ``camera_model``; returns the focus distance used."""
    camera.data.dof.use_dof = False
    if not model:
        return {}
    subjects = _subject_objects(scene)
    measured: dict[str, Any] = {}
    if model.get("lens"):  # render wider: the distortion's zoom brings the sampled focal length back
        data, width, height = camera.data, scene.render.resolution_x, scene.render.resolution_y
        K = intrinsics(data.lens, data.sensor_width, data.sensor_height, data.sensor_fit, width, height,
                       data.shift_x, data.shift_y)  # fmt: skip
        data.lens /= widening(K, model["lens"], width, height)
    dof = model.get("depth_of_field")
    if dof:
        distance = _focus_distance(camera, subjects, focus_points) * (1.0 + dof["focus_error"])
        camera.data.dof.use_dof = True
        camera.data.dof.focus_distance = distance
        camera.data.dof.aperture_fstop = dof["f_number"]
        camera.data.dof.aperture_blades = 0  # a round aperture
        measured["focus_distance_m"] = distance
    blur = model.get("motion_blur")
    if blur and subjects:
        _move_subject(scene, camera, subjects, blur)
    return measured


def _move_subject(
    scene: bpy.types.Scene, camera: bpy.types.Object, subjects: list[bpy.types.Object], blur: dict[str, Any]
) -> None:
    """Keyframes the subject's root objects at frames 0 and 2 (linear), so frame 1 is where the labels were read
    and a one-frame shutter centred on it sweeps the displacement ``velocity x shutter_s``."""
    vx, vy, vz = blur["velocity_mps"]  # OpenCV camera axes; Blender's camera has y up and looks down -z
    displacement = camera.matrix_world.to_3x3() @ mathutils.Vector((vx, -vy, -vz)) * blur["shutter_s"]
    roots = []
    for obj in subjects:
        while obj.parent is not None:
            obj = obj.parent
        if obj not in roots:
            roots.append(obj)
    bpy.context.preferences.edit.keyframe_new_interpolation_type = "LINEAR"
    for root in roots:
        location = root.matrix_world.translation.copy()
        for frame, sign in ((0, -1.0), (2, 1.0)):
            root.location = location + sign * displacement
            root.keyframe_insert("location", frame=frame)
        _moved.append(root)
    for obj in scene.objects:  # rigid motion only: no per-step re-evaluation of armature or subdivision
        obj.cycles.use_deform_motion = False
    scene.render.use_motion_blur = True
    scene.render.motion_blur_shutter = 1.0
    scene.render.motion_blur_position = "CENTER"
    scene.frame_set(1)


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
