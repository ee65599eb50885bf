"""The products scene kind: procedural retail SKUs on tables, shelves, conveyors or held in a hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from synthgen.dataset.columns import Column
from synthgen.scenes.hands.kind import HAND_ASSET
from synthgen.scenes.products.columns import PRODUCT_COLUMNS, product_row_values, read_product_labels
from synthgen.scenes.products.config import ProductsScene
from synthgen.scenes.products.sampler import sample_products_spec

if TYPE_CHECKING:
    from synthgen.config import JobConfig
    from synthgen.dataset.image_codec import ImageCodec
    from synthgen.pipeline.rows import CleanSample


class ProductsKind:
    name: ClassVar[str] = "products"
    config_model: ClassVar[type[ProductsScene]] = ProductsScene
    columns: ClassVar[tuple[Column, ...]] = PRODUCT_COLUMNS

    def required_assets(self, scene: ProductsScene) -> tuple[str, ...]:
        return (HAND_ASSET,) if scene.layouts.get("hand", 0.0) > 0 else ()  # products held in a hand

    def sample(self, config: JobConfig, render_index: int, rng: np.random.Generator) -> dict[str, Any]:
        assert isinstance(config.scene, ProductsScene)
        splits = dict(config.dataset.splits)
        return sample_products_spec(
            config.seed, config.scene, splits, config.resolution, rng, config.render.spp, config.assets
        )

    def instance_classes(self, spec: dict[str, Any]) -> dict[int, str]:
        classes = {p["instance_id"]: spec["skus"][str(p["sku_id"])]["product_class"] for p in spec["products"]}
        return classes | ({1: "hand"} if "hand" in spec else {})

    def read_labels(self, spec: dict[str, Any], output: dict[str, Any], sample: CleanSample) -> None:
        read_product_labels(spec, output, sample)

    def row_values(self, spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
        return product_row_values(spec, sample, codec)
