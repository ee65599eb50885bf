"""The tabletop scene: product-like objects standing on a textured surface, lit by a world and area lights."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.common.camera_math import direction_from_angles, framing_distance, horizontal_fov
from synthgen.scenes.common.lighting import sample_lighting
from synthgen.scenes.common.sampling import linear_colour, uniform
from synthgen.scenes.common.surfaces import sample_surface
from synthgen.scenes.tabletop.config import TabletopScene

# Object footprints and heights in metres, per shape: (width/diameter range, height range).
SHAPE_SIZES = {
    "box": ((0.06, 0.20), (0.05, 0.25)),
    "cylinder": ((0.05, 0.10), (0.08, 0.18)),
    "bottle": ((0.05, 0.09), (0.16, 0.30)),
}
PLACEMENT_RADIUS_M = 0.22
GAP_M = 0.01


def sample_shape(
    rng: np.random.Generator,
    shape: str,
    base_chroma: tuple[tuple[float, float], tuple[float, float]] = ((0.3, 0.9), (0.3, 0.9)),
    label_chroma: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.6), (0.6, 1.0)),
) -> dict[str, Any]:
    """A tabletop shape with a printed label: ``shape``, ``size`` and ``material`` (the ``linear_colour`` ranges of
    its body and label colours as given). The hand scenes' distractors are these objects too."""
    width_range, height_range = SHAPE_SIZES[shape]
    width = uniform(rng, width_range)
    depth = uniform(rng, (0.35 * width, 1.0 * width)) if shape == "box" else width
    height = uniform(rng, height_range)
    return {
        "shape": shape,
        "size": [width, depth, height],
        "yaw_deg": uniform(rng, (0.0, 360.0)),
        "material": {
            "base_color": linear_colour(rng, *base_chroma),
            "label_color": linear_colour(rng, *label_chroma),
            "label_center": uniform(rng, (0.35, 0.6)),
            "label_height": uniform(rng, (0.2, 0.5)),
            "stripe_scale": uniform(rng, (4.0, 30.0)),
            "roughness": uniform(rng, (0.15, 0.7)),
            "metallic": 1.0 if shape == "cylinder" and rng.uniform() < 0.5 else 0.0,
            "coat": uniform(rng, (0.0, 0.6)),
        },
    }


def _place_objects(rng: np.random.Generator, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rejection-samples positions on the surface so footprints (bounding circles) never overlap."""
    placed: list[dict[str, Any]] = []
    for obj in objects:
        radius = 0.5 * math.hypot(obj["size"][0], obj["size"][1])
        for _attempt in range(200):
            r = PLACEMENT_RADIUS_M * math.sqrt(rng.uniform()) if placed else 0.0
            angle = rng.uniform(0, 2 * math.pi)
            x, y = r * math.cos(angle), r * math.sin(angle)
            if all(
                math.hypot(x - o["location"][0], y - o["location"][1]) > radius + o["footprint_radius"] + GAP_M
                for o in placed
            ):
                placed.append(obj | {"location": [x, y, 0.0], "footprint_radius": radius})
                break
        # An object that finds no free spot is left out: fewer objects beat interpenetrating ones.
    return placed


def sample_tabletop_spec(scene: TabletopScene, resolution: tuple[int, int], rng: np.random.Generator) -> dict[str, Any]:
    count = int(rng.integers(scene.objects[0], scene.objects[1] + 1))
    shapes = [scene.shapes[int(rng.integers(len(scene.shapes)))] for _ in range(count)]
    objects = _place_objects(rng, [{"instance_id": i + 1} | sample_shape(rng, shape) for i, shape in enumerate(shapes)])

    # Aim at the middle of the group and back off until its bounding sphere fills the requested share of the
    # narrower field of view.
    low = np.array([min(o["location"][k] - o["footprint_radius"] for o in objects) for k in range(2)] + [0.0])
    high = np.array(
        [max(o["location"][k] + o["footprint_radius"] for o in objects) for k in range(2)]
        + [max(o["size"][2] for o in objects)]
    )
    center = (low + high) / 2.0
    radius = float(np.linalg.norm(high - low) / 2.0)
    cam_cfg = scene.camera
    focal = uniform(rng, cam_cfg.focal_mm)
    fov = horizontal_fov(focal, cam_cfg.sensor_mm) * min(resolution) / max(resolution)
    fill = uniform(rng, cam_cfg.fill)
    distance = framing_distance(radius, fill, fov)
    azimuth = rng.uniform(0, 2 * math.pi)
    elevation = math.radians(uniform(rng, cam_cfg.elevation_deg))
    look_at = center + rng.normal(0.0, 0.1 * radius, size=3)
    location = look_at + distance * direction_from_angles(azimuth, elevation)

    surface_material = scene.surfaces[int(rng.integers(len(scene.surfaces)))]
    return {
        "kind": "object",
        "scene_type": "tabletop",
        "camera": {
            "location": location.tolist(),
            "look_at": look_at.tolist(),
            "roll_deg": uniform(rng, cam_cfg.roll_deg),
            "focal_mm": focal,
            "sensor_mm": cam_cfg.sensor_mm,
        },
        "lighting": sample_lighting(rng, scene.lights, center),
        "surface": sample_surface(rng, surface_material),
        "objects": [{k: v for k, v in o.items() if k != "footprint_radius"} for o in objects],
    }
