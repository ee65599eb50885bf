"""Seeded lighting: a world light (uniform, or a daylight sky with a sun) and area and point lights."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.common.camera_math import direction_from_angles
from synthgen.scenes.common.color import kelvin_to_rgb
from synthgen.scenes.common.config import LightSampling
from synthgen.scenes.common.sampling import uniform


def sample_lighting(rng: np.random.Generator, cfg: LightSampling, target: np.ndarray) -> dict[str, Any]:
    """A world light and ``cfg.count`` lights on the upper hemisphere around ``target``: area lights aimed at it,
    and with ``cfg.point_share`` point lights (bare bulbs: harder shadows, no direction)."""
    lights = []
    for _ in range(int(rng.integers(cfg.count[0], cfg.count[1] + 1))):
        azimuth = rng.uniform(0, 2 * math.pi)
        elevation = math.radians(rng.uniform(25, 80))
        distance = rng.uniform(0.8, 2.0)
        location = target + distance * direction_from_angles(azimuth, elevation)
        kelvin = uniform(rng, cfg.kelvin)
        light = {
            "type": "AREA",
            "location": location.tolist(),
            "look_at": target.tolist(),
            "size_m": uniform(rng, (0.2, 1.2)),
            "power_w": uniform(rng, cfg.power_w) * distance**2,
            "kelvin": kelvin,
            "color": list(kelvin_to_rgb(kelvin)),
        }
        # Drawn only when point lights are possible, so configs without them keep their specs bit for bit.
        if cfg.point_share > 0 and rng.uniform() < cfg.point_share:
            # A point light spreads its power over the whole sphere, an area light over a hemisphere towards the
            # target (on its axis: P / (4 pi) vs P / pi per steradian): 4x the power lights the target alike.
            light |= {"type": "POINT", "size_m": uniform(rng, cfg.point_radius_m), "power_w": 4.0 * light["power_w"]}
        lights.append(light)
    world_kelvin = uniform(rng, (4500.0, 9000.0))
    world = {
        "kelvin": world_kelvin,
        "color": list(kelvin_to_rgb(world_kelvin)),
        "strength": uniform(rng, cfg.world_strength),
    }
    # Daylight through a window: a physical sky whose sun casts hard shadows, replacing the uniform world.
    sky_drawn = rng.uniform() < cfg.sky_share
    sky = {
        "enabled": bool(sky_drawn),
        "strength": uniform(rng, cfg.sky_strength),
        "sun_elevation_deg": uniform(rng, cfg.sun_elevation_deg),
        "sun_rotation_deg": uniform(rng, (0.0, 360.0)),
    }
    return {"world": world | {"sky": sky}, "lights": lights}
