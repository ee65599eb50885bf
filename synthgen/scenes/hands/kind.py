"""The hands scene kind: posed MakeHuman hands of seeded identities, live or presented as an attack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from synthgen.dataset.columns import Column
from synthgen.scenes.hands.accessories import accessory_classes
from synthgen.scenes.hands.attacks.plan import with_attack
from synthgen.scenes.hands.attacks.registry import attack_type
from synthgen.scenes.hands.columns import HAND_COLUMNS, hand_row_values, read_hand_labels
from synthgen.scenes.hands.config import HandsScene
from synthgen.scenes.hands.environment import OCCLUDER_CLASS, OCCLUDER_INSTANCE_ID, sample_environment, with_environment
from synthgen.scenes.hands.environment_columns import ENVIRONMENT_COLUMNS, environment_row_values
from synthgen.scenes.hands.identity_order import identity_of
from synthgen.scenes.hands.sampler import sample_hands_spec
from synthgen.seeding import Stream, derive_rng

if TYPE_CHECKING:
    from synthgen.config import JobConfig
    from synthgen.dataset.image_codec import ImageCodec
    from synthgen.pipeline.rows import CleanSample

HAND_ASSET = "makehuman-hand"


class HandsKind:
    name: ClassVar[str] = "hands"
    config_model: ClassVar[type[HandsScene]] = HandsScene
    columns: ClassVar[tuple[Column, ...]] = HAND_COLUMNS + ENVIRONMENT_COLUMNS

    def required_assets(self, scene: HandsScene) -> tuple[str, ...]:
        return (HAND_ASSET,)

    def sample(self, config: JobConfig, render_index: int, rng: np.random.Generator) -> dict[str, Any]:
        assert isinstance(config.scene, HandsScene)
        scene = config.scene
        identity_id = identity_of(
            config.seed, render_index, scene.identities, scene.samples_per_identity, config.dataset.splits
        )
        spec = sample_hands_spec(config.seed, config.scene, identity_id, rng, config.render.spp)
        environment_rng = derive_rng(config.seed, Stream.ENVIRONMENT, render_index)
        environment = sample_environment(environment_rng, scene.environment, scene.camera.mode, spec["background"])
        return with_attack(config, with_environment(spec, environment), render_index)

    def instance_classes(self, spec: dict[str, Any]) -> dict[int, str]:
        attack = spec.get("attack_type")
        classes = {1: attack_type(attack).instance_class} if attack else {1: "hand", **accessory_classes(spec)}
        if (spec.get("environment") or {}).get("occluder"):
            classes[OCCLUDER_INSTANCE_ID] = OCCLUDER_CLASS
        return classes

    def read_labels(self, spec: dict[str, Any], output: dict[str, Any], sample: CleanSample) -> None:
        read_hand_labels(output, sample)

    def row_values(self, spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
        return hand_row_values(spec, sample, codec) | environment_row_values(spec)
