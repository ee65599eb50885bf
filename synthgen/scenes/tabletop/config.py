"""Config of the tabletop scene (``scene.type: tabletop``)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from synthgen.config_fields import check_range
from synthgen.scenes.common.config import SURFACE_NAMES, CameraSampling, LightSampling, SurfaceName
from synthgen.scenes.kind import SceneConfig


class TabletopScene(SceneConfig):
    """Product-like objects on a textured surface (the foundation scene; ``kind`` = "object")."""

    type: Literal["tabletop"] = "tabletop"
    objects: tuple[int, int] = (1, 3)
    shapes: list[Literal["box", "cylinder", "bottle"]] = ["box", "cylinder", "bottle"]
    surfaces: list[SurfaceName] = list(SURFACE_NAMES)
    camera: CameraSampling = CameraSampling()
    lights: LightSampling = LightSampling()

    @field_validator("objects")
    @classmethod
    def _objects_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        check_range(value)
        if value[0] < 1 or value[1] > 8:
            raise ValueError(f"must lie within [1, 8], got {list(value)}")
        return value

    @field_validator("shapes", "surfaces")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one")
        return value
