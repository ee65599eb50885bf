"""Seed derivation: every random draw in synthgen comes from a generator derived here.

Generators come from ``numpy.random.SeedSequence`` keyed by (job seed, stream, index...), so the same job seed
gives the same draws on any machine, in any process and in any order of work. Never ``hash()`` a string for a
seed (Python salts it per process) and never use global random state.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Independent random streams, so adding draws to one never shifts another."""

    SCENE = 0
    SPLIT = 1
    AUGMENT = 2
    IDENTITY = 3


def derive_seed_sequence(job_seed: int, stream: Stream, *keys: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=job_seed, spawn_key=(int(stream), *(int(k) for k in keys)))


def derive_rng(job_seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """A fresh generator for one (stream, keys) cell, e.g. ``derive_rng(seed, Stream.SCENE, render_index)``."""
    return np.random.default_rng(derive_seed_sequence(job_seed, stream, *keys))


def derive_int_seed(job_seed: int, stream: Stream, *keys: int) -> int:
    """A 32-bit integer seed for libraries that take one (albumentations, Cycles' own seed)."""
    return int(derive_seed_sequence(job_seed, stream, *keys).generate_state(1, dtype=np.uint32)[0])
