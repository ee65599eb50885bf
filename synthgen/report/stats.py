"""What the report plots: per-render scene parameters (camera, lighting, skin tone) and per-row label counts,
read from the label columns and the stored specs. Missing columns and spec fields are simply skipped, so
datasets of any kind (tabletop objects, hands, spoofs, products) report what they have."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SKIN_TONE_KEYS = ("tone", "skin_tone", "monk", "monk_scale", "fitzpatrick")


@dataclass
class Distributions:
    """Numeric samples (per clean render unless noted) and categorical counts (per row unless noted)."""

    numeric: dict[str, tuple[list[float], str]] = field(default_factory=dict)  # title -> (values, unit)
    categorical: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, title: str, value: float | None, unit: str = "") -> None:
        if value is not None and math.isfinite(value):
            self.numeric.setdefault(title, ([], unit))[0].append(float(value))

    def count(self, title: str, value: Any) -> None:
        if value is not None:
            self.categorical.setdefault(title, Counter())[str(value)] += 1


def clean_rows(labels: pa.Table) -> pa.Table:
    if "aug_index" not in labels.column_names:
        return labels
    return labels.filter(pc.equal(labels.column("aug_index"), 0))


def _srgb_from_linear(c: float) -> float:
    c = min(max(c, 0.0), 1.0)
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def individual_typology_angle(linear_rgb: list[float]) -> float:
    """Skin tone as ITA° (CIE L*a*b*: atan((L* - 50) / b*)); > 55 very light ... < -30 dark."""
    srgb = np.array([_srgb_from_linear(c) for c in linear_rgb[:3]])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    lightness, b_star = 116 * f[1] - 16, 200 * (f[1] - f[2])
    return math.degrees(math.atan2(lightness - 50, b_star))


def _camera(spec: dict[str, Any], pose: list[list[float]] | None, row: dict[str, Any], out: Distributions) -> None:
    camera = spec.get("camera", {})
    if pose is not None:
        matrix = np.asarray(pose, dtype=float)
        position, forward = matrix[:3, 3], matrix[:3, 2]
        out.add("camera elevation (looking down)", math.degrees(math.asin(float(np.clip(-forward[2], -1, 1)))), "deg")
        if "look_at" in camera:
            distance = float(np.linalg.norm(position - np.asarray(camera["look_at"], dtype=float)))
        elif row.get("keypoints_3d"):
            distance = float(np.linalg.norm(np.mean(np.asarray(row["keypoints_3d"], dtype=float), axis=0)))
        else:
            distance = float(np.linalg.norm(position))
        out.add("camera distance to subject", distance, "m")
    if "focal_mm" in camera:
        out.add("focal length", camera["focal_mm"], "mm")
    K, width = row.get("camera_K"), row.get("width")
    if K is not None and width:
        out.add("horizontal field of view", math.degrees(2 * math.atan(width / (2 * K[0][0]))), "deg")


def _lighting(spec: dict[str, Any], out: Distributions) -> None:
    lighting = spec.get("lighting")
    if not isinstance(lighting, dict):
        return
    lights = lighting.get("lights", [])
    out.add("lights per scene", len(lights), "lights")
    for light in lights:
        out.count("light type", light.get("type", "AREA"))
        out.add("light colour temperature", light.get("kelvin"), "K")
        out.add("light power", light.get("power_w"), "W")
    world = lighting.get("world", {})
    out.add("world (ambient) strength", world.get("strength"), "")
    if (world.get("sky") or {}).get("enabled"):
        out.count("light type", "SKY")  # daylight: a physical sky with its sun, in place of the uniform world


def _skin(spec: dict[str, Any], out: Distributions) -> None:
    skin = spec.get("identity", {}).get("skin") if isinstance(spec.get("identity"), dict) else None
    if not isinstance(skin, dict):
        return
    for key in SKIN_TONE_KEYS:
        if key in skin:
            out.count("skin tone", skin[key])
            return
    if "albedo_rgb" in skin:
        out.add("skin tone (ITA°, from albedo)", individual_typology_angle(skin["albedo_rgb"]), "deg")


def collect(labels: pa.Table, clean: pa.Table | None = None) -> Distributions:
    """Distributions of a label table (any subset of the dataset's non-image columns); scene parameters come
    from ``clean`` (the clean renders' rows with their ``spec``) when given, else from ``labels``."""
    out = Distributions()
    names = set(labels.column_names)
    for column, title in (
        ("kind", "kinds (rows)"),
        ("scene_part", "mix parts (rows)"),
        ("environment", "environments (rows)"),
        ("occluder", "occluders (rows)"),
        ("split", "splits (rows)"),
        ("attack_type", "attack types (rows)"),
        ("handedness", "handedness (rows)"),
        ("pose_family", "pose families (rows)"),
    ):
        if column in names:
            for value in labels.column(column).to_pylist():
                out.count(title, value)
    if "is_live" in names:
        for value in labels.column("is_live").to_pylist():
            out.count("live vs attack (rows)", None if value is None else ("live" if value else "attack"))
    if "instances" in names:
        for instances in labels.column("instances").to_pylist():
            out.add("instances per image", len(instances or []), "instances")
            for instance in instances or []:
                out.count("object classes (instances)", instance["class"])
    if {"bbox", "width", "height"} <= names:
        for bbox, width, height in zip(
            *(labels.column(c).to_pylist() for c in ("bbox", "width", "height")), strict=True
        ):
            if bbox is not None and width and height:
                out.add("subject box area / image", (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) / (width * height), "")
    clean = clean_rows(clean if clean is not None else labels)
    rows = clean.select([c for c in clean.column_names if c != "instances"]).to_pylist()
    for row in rows:
        spec = json.loads(row["spec"]) if row.get("spec") else {}
        _camera(spec, row.get("camera_pose"), row, out)
        _lighting(spec, out)
        _skin(spec, out)
        surface = spec.get("surface") or spec.get("background", {}).get("surface")
        if isinstance(surface, dict):
            out.count("surfaces (renders)", surface.get("material"))
    return out
