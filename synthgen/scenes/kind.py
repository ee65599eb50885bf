"""What a scene kind is: the declared interface every kind (tabletop, hands, products, a plugin's) implements.

A scene kind is one folder on each side: ``synthgen/scenes/<kind>/`` (config model, pure seeded sampler, pure
geometry and labels, its dataset columns) and ``blender_scenes/<kind>/`` (the Blender builder that turns its
specs into a scene). Each side has one registry with the same keys: ``synthgen.scenes.registry`` and
``blender_scenes.registry``. docs/extending.md walks through adding one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from synthgen.config_fields import StrictModel
from synthgen.dataset.columns import Column

if TYPE_CHECKING:
    from synthgen.config import JobConfig
    from synthgen.dataset.image_codec import ImageCodec
    from synthgen.pipeline.rows import CleanSample


class SceneConfig(StrictModel):
    """Base of every kind's config model (``JobConfig.scene``); ``type`` names the kind."""

    type: str

    @classmethod
    def default_num_renders(cls, scene: dict[str, Any]) -> int | None:
        """The job's ``num_renders`` when the user gave none (from the raw ``scene`` mapping), or None."""
        return None

    def render_capacity(self) -> tuple[int, str] | None:
        """The most renders this scene config can make and what sets it ("scene.identities x ..."), or None."""
        return None


class SceneKind(Protocol):
    """The library side of a scene kind. Implementations are plain classes registered in
    ``synthgen.scenes.registry``; every method is pure (no bpy, no I/O) and takes its randomness explicitly."""

    name: ClassVar[str]  # scene.type in configs, spec["scene_type"] in specs, the builder's registry key
    config_model: ClassVar[type[SceneConfig]]
    # Extra dataset columns. Every dataset has every registered kind's columns (null where a row has none), and
    # every kind's ``read_labels`` and ``row_values`` see every row: a products scene with a hand in it fills
    # the hand columns.
    columns: ClassVar[tuple[Column, ...]]

    def required_assets(self, scene: SceneConfig) -> tuple[str, ...]:
        """Names of ``synthgen.assets.ASSETS`` to fetch before any worker starts."""
        ...

    def sample(self, config: JobConfig, render_index: int, rng: np.random.Generator) -> dict[str, Any]:
        """The kind's part of the spec of one render (must include ``kind`` and ``scene_type``)."""
        ...

    def instance_classes(self, spec: dict[str, Any]) -> dict[int, str]:
        """Instance id -> class name for the objects ``spec`` puts in the scene."""
        ...

    def read_labels(self, spec: dict[str, Any], output: dict[str, Any], sample: CleanSample) -> None:
        """Fills the kind's fields of ``sample`` from a worker's render output (when the output has them)."""
        ...

    def row_values(self, spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
        """Values of the kind's ``columns`` for one row (None where the row has none)."""
        ...
