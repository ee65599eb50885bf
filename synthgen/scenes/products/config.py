"""Config of the products scene (``scene.type: products``): catalogue, layouts, defects."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, field_validator

from synthgen.config_fields import StrictModel, check_range, check_weights
from synthgen.scenes.common.config import CameraSampling, LightSampling, SurfaceName
from synthgen.scenes.kind import SceneConfig
from synthgen.scenes.products.defects import DEFECT_TYPES
from synthgen.scenes.products.identity import FAMILIES

ProductLayout = Literal["tabletop", "shelf", "conveyor", "hand"]


class DefectSettings(StrictModel):
    """Quality-control defects: which share of product instances carries one, and how types are weighted."""

    rate: float = Field(0.3, ge=0, le=1, description="share of product instances with a defect")
    types: dict[str, float] = Field(
        {"dent": 1.0, "crushed_corner": 1.0, "torn_label": 1.0, "misaligned_label": 1.0, "scratch": 1.0,
         "stain": 1.0, "open_seal": 1.0},
        description="relative weights of the defect types",
    )  # fmt: skip

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, DEFECT_TYPES, "defect types")


class ProductsScene(SceneConfig):
    """Procedural retail products (SKUs) on a table, a shelf or a conveyor belt (``kind`` = "product")."""

    type: Literal["products"] = "products"
    skus: int = Field(200, ge=1, le=10_000_000, description="distinct products (SKUs) in the catalogue")
    families: dict[str, float] = Field(
        {"carton": 1.0, "bottle": 1.0, "can": 1.0, "jar": 1.0, "pouch": 1.0, "tube": 1.0, "blister": 1.0},
        description="relative weights of the product families",
    )
    layouts: dict[ProductLayout, float] = Field(
        {"tabletop": 1.0, "shelf": 1.0, "conveyor": 1.0},
        description="relative weights of the scene layouts; 'hand' = one product held in a hand",
    )
    hand_identities: int = Field(100, ge=1, le=10_000_000, description="hand identities for the 'hand' layout")
    products: tuple[int, int] = Field((3, 7), description="products per table or conveyor scene")
    max_products: int = Field(
        128, ge=1, le=128, description="products per scene at most (a shelf fills what the camera sees up to it)"
    )
    defects: DefectSettings = DefectSettings()
    surfaces: list[SurfaceName] = ["wood", "tiles", "concrete", "marble"]
    camera: CameraSampling = CameraSampling(focal_mm=(30.0, 60.0), elevation_deg=(15.0, 60.0), fill=(0.85, 1.15))
    lights: LightSampling = LightSampling()

    @field_validator("families")
    @classmethod
    def _known_families(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, FAMILIES, "product families")

    @field_validator("layouts")
    @classmethod
    def _layout_weights(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, get_args(ProductLayout), "layouts")

    @field_validator("products")
    @classmethod
    def _products_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        check_range(value)
        if value[0] < 1:
            raise ValueError(f"must be at least 1, got {list(value)}")
        return value
