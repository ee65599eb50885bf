"""Reseeding a built albumentations pipeline for one call (variant seeds: ``synthgen.seeding.variant_seed``).

albumentations 2.0.8's ``Compose(seed=s)`` / ``Compose.set_random_seed(s)`` give *every* transform its own
generator seeded with the same ``s``, so their draws are identical: with equal ``p`` all transforms fire
together or not at all, and their first uniform draws coincide. ``reseed`` instead hands one fresh pair of
generators to the whole tree (``set_random_state``), so draws are consumed in sequence and independent.
"""

from __future__ import annotations

import random

import numpy as np
from albumentations.core.composition import BaseCompose


def reseed(pipeline: BaseCompose, seed: int) -> None:
    """Reset all random state of ``pipeline`` (and everything nested in it) to a function of ``seed``."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    # numpy's default_rng and random.Random are both specified bit-for-bit for an int seed (no hash salting).
    pipeline.set_random_state(np.random.default_rng(seed), random.Random(seed))
