"""Label-consistent, seeded, recorded augmentation of rendered samples (runs outside Blender).

Typical use::

    augmenter = Augmenter(AugmentConfig(preset="medium"))
    seed = variant_seed(job_seed, render_index, aug_index)
    variant, record = augmenter.augment(AugmentInput(image=..., mask=..., depth=...), seed)
    # store json.dumps(record) as aug_params and seed as aug_seed; later:
    same = replay(original_sample, json.loads(aug_params))

The names that need albumentations (which imports torch when it is installed: seconds) load on first use, so
reading a config or a dataset does not pay for them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from synthgen.augment.config import AugmentConfig
from synthgen.augment.presets import PRESETS, PresetName
from synthgen.augment.spec import TransformSpec
from synthgen.seeding import variant_seed

if TYPE_CHECKING:
    from synthgen.augment.pipeline import Augmenter, AugmentInput, ReplayMismatchError, replay
    from synthgen.augment.registry import TransformConfigError

_LAZY = {
    "Augmenter": "synthgen.augment.pipeline",
    "AugmentInput": "synthgen.augment.pipeline",
    "ReplayMismatchError": "synthgen.augment.pipeline",
    "replay": "synthgen.augment.pipeline",
    "TransformConfigError": "synthgen.augment.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
