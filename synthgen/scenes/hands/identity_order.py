"""Which identity a render shows: a seeded order of identities dealt round-robin in blocks, so any prefix of a job
is a spread.

The identities, in a seeded order, are dealt in blocks of ``BLOCK`` (16): the first ``16 x samples_per_identity``
renders cycle through the first 16 identities of the order (render 0 shows the first, render 1 the second, ...),
the next renders through the next 16, and so on. So ``identities x samples_per_identity`` renders give each
identity exactly ``samples_per_identity`` renders, a 6-render preview shows 6 people (their handedness and skin
types drawn independently per identity) instead of one person six times, and a shard still holds few enough
identities that a render worker's cache of victims' source captures (presentation attacks) keeps hitting.

The order is a seeded shuffle that also interleaves the dataset splits (an identity's split is fixed by
``synthgen.splits.assign_split``): it visits every non-empty split first, then the splits in proportion to
their share of identities, so a short run has no empty split when the ratios allow one. Computing the splits of
every identity costs about 15 us each; above ``_INTERLEAVE_MAX`` identities the order is a seeded affine
permutation instead (still a spread of identities, with splits only as mixed as chance makes them).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from synthgen.seeding import Stream, derive_rng
from synthgen.splits import assign_split

_INTERLEAVE_MAX = 200_000


BLOCK = 16


def identity_of(
    job_seed: int, render_index: int, identities: int, samples_per_identity: int, split_ratios: dict[str, float]
) -> int:
    """The identity render ``render_index`` of a job shows (deterministic in its arguments)."""
    index = render_index % (identities * samples_per_identity)
    start = index // (BLOCK * samples_per_identity) * BLOCK
    position = start + (index - start * samples_per_identity) % min(BLOCK, identities - start)
    if identities <= _INTERLEAVE_MAX:
        return int(_interleaved_order(job_seed, identities, tuple(split_ratios.items()))[position])
    multiplier, offset = _affine_permutation(job_seed, identities)
    return (multiplier * position + offset) % identities


@lru_cache(maxsize=8)
def _interleaved_order(job_seed: int, identities: int, ratios: tuple[tuple[str, float], ...]) -> np.ndarray:
    rng = derive_rng(job_seed, Stream.IDENTITY_ORDER, identities)
    split_of = [assign_split(job_seed, f"identity:{i}", dict(ratios)) for i in range(identities)]
    buckets = [rng.permutation([i for i in range(identities) if split_of[i] == name]) for name, _ in ratios]
    buckets = [bucket for bucket in buckets if len(bucket)]
    taken = [0] * len(buckets)
    order = np.empty(identities, np.int64)
    for position in range(identities):
        if position < len(buckets):
            pick = position  # one of each split first
        else:
            # The split furthest behind its share of identities (ties: the first).
            pick = max(
                (b for b in range(len(buckets)) if taken[b] < len(buckets[b])),
                key=lambda b: len(buckets[b]) * (position + 1) / identities - taken[b],
            )
        order[position] = buckets[pick][taken[pick]]
        taken[pick] += 1
    return order


def _affine_permutation(job_seed: int, identities: int) -> tuple[int, int]:
    """(a, b) with gcd(a, n) = 1: slot -> (a * slot + b) mod n is a bijection of range(n)."""
    rng = derive_rng(job_seed, Stream.IDENTITY_ORDER, identities)
    multiplier = int(rng.integers(1, identities))
    while math.gcd(multiplier, identities) != 1:
        multiplier += 1
    return multiplier, int(rng.integers(identities))
