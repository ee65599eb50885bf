"""The library side of the sphere kind: its config, its seeded sampler and its labels (pure, no bpy)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from synthgen.config_fields import FloatRange
from synthgen.dataset.columns import Column
from synthgen.scenes.common.camera_math import framing_distance, horizontal_fov
from synthgen.scenes.common.config import LightSampling
from synthgen.scenes.common.lighting import sample_lighting
from synthgen.scenes.common.sampling import linear_colour, uniform
from synthgen.scenes.common.surfaces import sample_surface
from synthgen.scenes.kind import SceneConfig

if TYPE_CHECKING:
    from synthgen.config import JobConfig
    from synthgen.dataset.image_codec import ImageCodec
    from synthgen.pipeline.rows import CleanSample


class SphereScene(SceneConfig):
    type: Literal["sphere"] = "sphere"
    radius_m: FloatRange = (0.05, 0.15)
    lights: LightSampling = LightSampling(sky_share=0.0)


class SphereKind:
    name: ClassVar[str] = "sphere"
    config_model: ClassVar[type[SphereScene]] = SphereScene
    columns: ClassVar[tuple[Column, ...]] = ()

    def required_assets(self, scene: SphereScene) -> tuple[str, ...]:
        return ()

    def sample(self, config: JobConfig, render_index: int, rng: np.random.Generator) -> dict[str, Any]:
        scene = config.scene
        assert isinstance(scene, SphereScene)
        radius = uniform(rng, scene.radius_m)
        centre = np.array([0.0, 0.0, radius])
        focal = 50.0
        distance = framing_distance(radius, 0.6, horizontal_fov(focal, 36.0))
        azimuth, elevation = rng.uniform(0, 2 * math.pi), math.radians(uniform(rng, (15.0, 60.0)))
        direction = np.array([math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth),
                              math.sin(elevation)])  # fmt: skip
        return {
            "kind": "object",
            "scene_type": "sphere",
            "sphere": {"radius_m": radius, "colour": linear_colour(rng, (0.4, 0.9), (0.4, 0.9))},
            "camera": {
                "location": (centre + distance * direction).tolist(),
                "look_at": centre.tolist(),
                "roll_deg": 0.0,
                "focal_mm": focal,
                "sensor_mm": 36.0,
            },
            "lighting": sample_lighting(rng, scene.lights, centre),
            "surface": sample_surface(rng, "tiles"),
        }

    def instance_classes(self, spec: dict[str, Any]) -> dict[int, str]:
        return {1: "sphere"}

    def read_labels(self, spec: dict[str, Any], output: dict[str, Any], sample: CleanSample) -> None:
        return None

    def row_values(self, spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
        return {}
