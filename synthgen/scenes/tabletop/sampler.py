"""The tabletop scene: product-like objects standing on a textured surface, lit by a world and area lights."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.config import LightSampling, TabletopScene
from synthgen.scenes.common.camera_math import horizontal_fov
from synthgen.scenes.common.color import hsv_to_rgb, kelvin_to_rgb, srgb_to_linear

# Object footprints and heights in metres, per shape: (width/diameter range, height range).
SHAPE_SIZES = {
    "box": ((0.06, 0.20), (0.05, 0.25)),
    "cylinder": ((0.05, 0.10), (0.08, 0.18)),
    "bottle": ((0.05, 0.09), (0.16, 0.30)),
}
PLACEMENT_RADIUS_M = 0.22
GAP_M = 0.01


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _colour(rng: np.random.Generator, saturation: tuple[float, float], value: tuple[float, float]) -> list[float]:
    """A linear RGB colour drawn in (display-referred) HSV, so value ranges read as a person would pick them."""
    rgb = hsv_to_rgb(float(rng.uniform()), _uniform(rng, saturation), _uniform(rng, value))
    return [round(srgb_to_linear(c), 6) for c in rgb]


def _sample_object(rng: np.random.Generator, shape: str, instance_id: int) -> dict[str, Any]:
    width_range, height_range = SHAPE_SIZES[shape]
    width = _uniform(rng, width_range)
    depth = _uniform(rng, (0.35 * width, 1.0 * width)) if shape == "box" else width
    height = _uniform(rng, height_range)
    return {
        "instance_id": instance_id,
        "shape": shape,
        "size": [width, depth, height],
        "yaw_deg": _uniform(rng, (0.0, 360.0)),
        "material": {
            "base_color": _colour(rng, (0.3, 0.9), (0.3, 0.9)),
            "label_color": _colour(rng, (0.0, 0.6), (0.6, 1.0)),
            "label_center": _uniform(rng, (0.35, 0.6)),
            "label_height": _uniform(rng, (0.2, 0.5)),
            "stripe_scale": _uniform(rng, (4.0, 30.0)),
            "roughness": _uniform(rng, (0.15, 0.7)),
            "metallic": 1.0 if shape == "cylinder" and rng.uniform() < 0.5 else 0.0,
            "coat": _uniform(rng, (0.0, 0.6)),
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


def sample_lighting(rng: np.random.Generator, cfg: LightSampling, target: np.ndarray) -> dict[str, Any]:
    """A world light and ``cfg.count`` lights on the upper hemisphere around ``target``: area lights aimed at it,
    and with ``cfg.point_share`` point lights (bare bulbs: harder shadows, no direction)."""
    lights = []
    for _ in range(int(rng.integers(cfg.count[0], cfg.count[1] + 1))):
        azimuth = rng.uniform(0, 2 * math.pi)
        elevation = math.radians(rng.uniform(25, 80))
        distance = rng.uniform(0.8, 2.0)
        location = target + distance * np.array(
            [
                math.cos(elevation) * math.cos(azimuth),
                math.cos(elevation) * math.sin(azimuth),
                math.sin(elevation),
            ]
        )
        kelvin = _uniform(rng, cfg.kelvin)
        light = {
            "type": "AREA",
            "location": location.tolist(),
            "look_at": target.tolist(),
            "size_m": _uniform(rng, (0.2, 1.2)),
            "power_w": _uniform(rng, cfg.power_w) * distance**2,
            "kelvin": kelvin,
            "color": list(kelvin_to_rgb(kelvin)),
        }
        # Drawn only when point lights are possible, so configs without them keep their specs bit for bit.
        if cfg.point_share > 0 and rng.uniform() < cfg.point_share:
            # A point light spreads its power over the whole sphere, an area light over a hemisphere towards the
            # target (on its axis: P / (4 pi) vs P / pi per steradian): 4x the power lights the target alike.
            light |= {"type": "POINT", "size_m": _uniform(rng, cfg.point_radius_m), "power_w": 4.0 * light["power_w"]}
        lights.append(light)
    world_kelvin = _uniform(rng, (4500.0, 9000.0))
    world = {
        "kelvin": world_kelvin,
        "color": list(kelvin_to_rgb(world_kelvin)),
        "strength": _uniform(rng, cfg.world_strength),
    }
    # Daylight through a window: a physical sky whose sun casts hard shadows, replacing the uniform world.
    sky_drawn = rng.uniform() < cfg.sky_share
    sky = {
        "enabled": bool(sky_drawn),
        "strength": _uniform(rng, cfg.sky_strength),
        "sun_elevation_deg": _uniform(rng, cfg.sun_elevation_deg),
        "sun_rotation_deg": _uniform(rng, (0.0, 360.0)),
    }
    return {"world": world | {"sky": sky}, "lights": lights}


def sample_surface(rng: np.random.Generator, material: str) -> dict[str, Any]:
    """Parameters of a procedural surface material (a table top or a backdrop)."""
    return {
        "material": material,
        "color_a": _colour(rng, (0.1, 0.6), (0.25, 0.85)),
        "color_b": _colour(rng, (0.1, 0.6), (0.1, 0.6)),
        "scale": _uniform(rng, (2.0, 12.0)),
        "roughness": _uniform(rng, (0.3, 0.9)),
        "rotation_deg": _uniform(rng, (0.0, 180.0)),
        "bump": _uniform(rng, (0.05, 0.4)),
    }


def sample_tabletop_spec(scene: TabletopScene, resolution: tuple[int, int], rng: np.random.Generator) -> dict[str, Any]:
    count = int(rng.integers(scene.objects[0], scene.objects[1] + 1))
    shapes = [scene.shapes[int(rng.integers(len(scene.shapes)))] for _ in range(count)]
    objects = _place_objects(rng, [_sample_object(rng, shape, i + 1) for i, shape in enumerate(shapes)])

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
    focal = _uniform(rng, cam_cfg.focal_mm)
    fov = horizontal_fov(focal, cam_cfg.sensor_mm) * min(resolution) / max(resolution)
    fill = _uniform(rng, cam_cfg.fill)
    distance = radius / math.sin(fill * fov / 2.0)
    azimuth = rng.uniform(0, 2 * math.pi)
    elevation = math.radians(_uniform(rng, cam_cfg.elevation_deg))
    look_at = center + rng.normal(0.0, 0.1 * radius, size=3)
    location = look_at + distance * np.array(
        [
            math.cos(elevation) * math.cos(azimuth),
            math.cos(elevation) * math.sin(azimuth),
            math.sin(elevation),
        ]
    )

    surface_material = scene.surfaces[int(rng.integers(len(scene.surfaces)))]
    return {
        "kind": "object",
        "scene_type": "tabletop",
        "camera": {
            "location": location.tolist(),
            "look_at": look_at.tolist(),
            "roll_deg": _uniform(rng, cam_cfg.roll_deg),
            "focal_mm": focal,
            "sensor_mm": cam_cfg.sensor_mm,
        },
        "lighting": sample_lighting(rng, scene.lights, center),
        "surface": sample_surface(rng, surface_material),
        "objects": [{k: v for k, v in o.items() if k != "footprint_radius"} for o in objects],
    }
