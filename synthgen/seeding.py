"""Seed derivation: every random draw in synthgen comes from a generator derived here.

Generators come from ``numpy.random.SeedSequence`` keyed by (job seed, stream, index...), so the same job seed
gives the same draws on any machine, in any process and in any order of work. Never ``hash()`` a string for a
seed (Python salts it per process) and never use global random state.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Independent random streams, so adding draws to one never shifts another. The key layout of each stream
    (what follows the stream in ``derive_rng(job_seed, stream, *keys)``) is declared here and nowhere else:

    - ``SCENE``: ``(render_index,)`` a render's scene draws; ``(render_index, CYCLES_KEY)`` its Cycles seed;
      ``(render_index, CAMERA_MODEL_KEY)`` its camera and sensor model (``synthgen.scenes.common.camera_model``).
    - ``SPLIT``: ``(render_index,)`` or ``(1, name bytes as an int)`` the split of a split group
      (``synthgen.splits``).
    - ``IDENTITY``: ``(identity_id,)`` a hand identity (``synthgen.scenes.hands.identity``).
    - ``PRODUCT``: ``(sku_id,)`` a product SKU (``synthgen.scenes.products.identity``).
    - ``SOURCE``: ``(identity_id,)`` the victim capture an attack shows; ``(identity_id, CYCLES_KEY)`` its
      Cycles seed (``synthgen.scenes.hands.attacks.plan``).
    - ``ATTACK``: ``(render_index,)`` whether a render is an attack, of which type, with which parameters.
    - ``IDENTITY_ORDER``: ``(identities,)`` the order in which a hands job deals its identities to renders
      (``synthgen.scenes.hands.identity_order``).
    - ``ATTACK_ORDER``: ``()`` the offset of the sequence that spreads attacks over renders
      (``synthgen.scenes.hands.attacks.plan``).
    - ``ENVIRONMENT``: ``(render_index,)`` the setting a hand is photographed in: room, clutter, occluder, lights
      (``synthgen.scenes.hands.environment``).
    - ``MIX_ORDER``: ``()`` the offset of the sequence that deals a mixed job's renders to its parts
      (``synthgen.scenes.mix``).

    Value 2 is left unused (it once named augmentation, whose seeds come from ``variant_seed`` below). Streams
    never share a value, so no two layouts can draw the same numbers.
    """

    SCENE = 0
    SPLIT = 1
    IDENTITY = 3
    PRODUCT = 4
    SOURCE = 5
    ATTACK = 6
    IDENTITY_ORDER = 7
    ATTACK_ORDER = 8
    ENVIRONMENT = 20  # apart from the low values other streams take
    MIX_ORDER = 21


CYCLES_KEY = 1  # sub-key of a render's (or a source capture's) Cycles seed
CAMERA_MODEL_KEY = 2  # sub-key of a render's camera and sensor model draws
USER_BACKGROUND_KEY = 3  # sub-key of a render's draws of the user's backplate, HDRI and surface texture
AUGMENT_DOMAIN = 0xA06  # last entropy word of augmentation seeds: apart from every SeedSequence above
_AUGMENT_SEED_BITS = 63  # fits the dataset's int64 ``aug_seed`` column


def derive_seed_sequence(job_seed: int, stream: Stream, *keys: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=job_seed, spawn_key=(int(stream), *(int(k) for k in keys)))


def derive_rng(job_seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """A fresh generator for one (stream, keys) cell, e.g. ``derive_rng(seed, Stream.SCENE, render_index)``."""
    return np.random.default_rng(derive_seed_sequence(job_seed, stream, *keys))


def derive_int_seed(job_seed: int, stream: Stream, *keys: int) -> int:
    """A 32-bit integer seed for libraries that take one (albumentations, Cycles' own seed)."""
    return int(derive_seed_sequence(job_seed, stream, *keys).generate_state(1, dtype=np.uint32)[0])


def variant_seed(job_seed: int, render_index: int, aug_index: int) -> int:
    """Seed of one augmented variant: ``SeedSequence([job_seed, render_index, aug_index, AUGMENT_DOMAIN])``, whose
    entropy (a list, not a spawn key) never equals a stream's. Same inputs, same seed, on any machine."""
    sequence = np.random.SeedSequence([job_seed, render_index, aug_index, AUGMENT_DOMAIN])
    return int(sequence.generate_state(1, dtype=np.uint64)[0]) & ((1 << _AUGMENT_SEED_BITS) - 1)
