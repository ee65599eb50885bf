"""Config blocks shared by scene kinds: how cameras and lights are sampled, and the surface materials."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, field_validator

from synthgen.config_fields import FloatRange, StrictModel, check_range

SurfaceName = Literal["wood", "tiles", "concrete", "fabric", "marble"]
SURFACE_NAMES: tuple[str, ...] = get_args(SurfaceName)


class CameraSampling(StrictModel):
    focal_mm: FloatRange = (35.0, 70.0)
    sensor_mm: float = Field(36.0, gt=0)
    elevation_deg: FloatRange = (20.0, 65.0)
    fill: FloatRange = Field((0.6, 0.95), description="share of the field of view the objects' bounding sphere fills")
    roll_deg: FloatRange = (-8.0, 8.0)

    _ranges = field_validator("focal_mm", "elevation_deg", "fill", "roll_deg")(check_range)


class LightSampling(StrictModel):
    count: tuple[int, int] = (1, 3)
    power_w: FloatRange = Field((15.0, 120.0), description="area light power at 1 m (scaled by distance squared)")
    kelvin: FloatRange = (2800.0, 7500.0)
    world_strength: FloatRange = (0.05, 0.4)
    sky_share: float = Field(0.4, ge=0, le=1, description="share of scenes lit by a daylight sky with a sun")
    sky_strength: FloatRange = Field((0.03, 0.1), description="strength of the physical sky (and its sun)")
    sun_elevation_deg: FloatRange = (10.0, 70.0)
    point_share: float = Field(0.0, ge=0, le=1, description="share of lights that are point lights (bulbs, lamps)")
    point_radius_m: FloatRange = Field((0.005, 0.05), description="point light radius (shadow softness)")

    _ranges = field_validator(
        "count", "power_w", "kelvin", "world_strength", "sky_strength", "sun_elevation_deg", "point_radius_m"
    )(check_range)
