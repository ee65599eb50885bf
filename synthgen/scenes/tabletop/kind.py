"""The tabletop scene kind: product-like primitives on a textured surface (``kind`` = "object")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from synthgen.dataset.columns import Column
from synthgen.scenes.tabletop.config import TabletopScene
from synthgen.scenes.tabletop.sampler import sample_tabletop_spec

if TYPE_CHECKING:
    from synthgen.config import JobConfig
    from synthgen.dataset.image_codec import ImageCodec
    from synthgen.pipeline.rows import CleanSample


class TabletopKind:
    name: ClassVar[str] = "tabletop"
    config_model: ClassVar[type[TabletopScene]] = TabletopScene
    columns: ClassVar[tuple[Column, ...]] = ()

    def required_assets(self, scene: TabletopScene) -> tuple[str, ...]:
        return ()

    def sample(self, config: JobConfig, render_index: int, rng: np.random.Generator) -> dict[str, Any]:
        assert isinstance(config.scene, TabletopScene)
        return sample_tabletop_spec(config.scene, config.resolution, rng)

    def instance_classes(self, spec: dict[str, Any]) -> dict[int, str]:
        return {obj["instance_id"]: obj["shape"] for obj in spec["objects"]}

    def read_labels(self, spec: dict[str, Any], output: dict[str, Any], sample: CleanSample) -> None:
        return None

    def row_values(self, spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
        return {}
