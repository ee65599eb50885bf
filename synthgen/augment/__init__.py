"""Label-consistent, seeded, recorded augmentation of rendered samples (runs outside Blender).

Typical use::

    augmenter = Augmenter(AugmentConfig(preset="medium"))
    seed = variant_seed(job_seed, render_index, aug_index)
    variant, record = augmenter.augment(AugmentInput(image=..., mask=..., depth=...), seed)
    # store json.dumps(record) as aug_params and seed as aug_seed; later:
    same = replay(original_sample, json.loads(aug_params))
"""

from synthgen.augment.config import AugmentConfig
from synthgen.augment.pipeline import Augmenter, AugmentInput, ReplayMismatchError, replay
from synthgen.augment.presets import PRESETS, PresetName
from synthgen.augment.registry import TransformConfigError, TransformSpec
from synthgen.seeding import variant_seed

__all__ = [
    "PRESETS",
    "AugmentConfig",
    "AugmentInput",
    "Augmenter",
    "PresetName",
    "ReplayMismatchError",
    "TransformConfigError",
    "TransformSpec",
    "replay",
    "variant_seed",
]
