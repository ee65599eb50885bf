"""Seeds for augmented variants, and reseeding a built albumentations pipeline for one call.

albumentations 2.0.8's ``Compose(seed=s)`` / ``Compose.set_random_seed(s)`` give *every* transform its own
generator seeded with the same ``s``, so their draws are identical: with equal ``p`` all transforms fire
together or not at all, and their first uniform draws coincide. ``reseed`` instead hands one fresh pair of
generators to the whole tree (``set_random_state``), so draws are consumed in sequence and independent.
"""

from __future__ import annotations

import random

import numpy as np
from albumentations.core.composition import BaseCompose

AUGMENT_DOMAIN = 0xA06  # separates augmentation seeds from every other use of the same job seed
_SEED_BITS = 63  # fits the dataset's int64 ``aug_seed`` column


def variant_seed(job_seed: int, render_index: int, aug_index: int) -> int:
    """Seed of one augmented variant: same inputs, same seed, on any machine and in any process."""
    sequence = np.random.SeedSequence([job_seed, render_index, aug_index, AUGMENT_DOMAIN])
    return int(sequence.generate_state(1, dtype=np.uint64)[0]) & ((1 << _SEED_BITS) - 1)


def reseed(pipeline: BaseCompose, seed: int) -> None:
    """Reset all random state of ``pipeline`` (and everything nested in it) to a function of ``seed``."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    # numpy's default_rng and random.Random are both specified bit-for-bit for an int seed (no hash salting).
    pipeline.set_random_state(np.random.default_rng(seed), random.Random(seed))
