"""A mixed job (``scene.type: mix``): several scene configs ("parts") in one dataset, each with a share of renders.

Every render index belongs to one part by a seeded rule that depends only on (job seed, render index, the
parts' shares), never on ``num_renders``: the renders are dealt in blocks of ``BLOCK`` (100), each part taking
its share of every block rounded to whole renders (largest remainders, at least one each). Inside a block the
parts are interleaved along a seeded golden-ratio sequence, so any run of consecutive renders (a 24-render
quickstart, the first shard) holds every part in about its share. A part sees its own renders as a job of its
own: render ``i`` of the mix is render ``part_index`` of the part (its identities, attack order and SKUs come in
the same order as in a job of that part alone), with the part's config (``synthgen.config.part_configs``).

Rows carry the part's name (``scene_part``) and their kind; columns are the union of every kind's columns (null
where a kind has none), as in every synthgen dataset.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Literal

from pydantic import Field, field_validator

from synthgen.config_fields import StrictModel
from synthgen.scenes.kind import SceneConfig
from synthgen.seeding import Stream, derive_rng

BLOCK = 100
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


class MixPart(StrictModel):
    """One part of a mix: a share of the renders, a preset's scene as the base, and overrides of it."""

    share: float = Field(gt=0, description="relative share of the job's renders")
    preset: str | None = Field(None, description="a preset whose scene section is the part's base")
    scene: dict[str, Any] = Field({}, description="scene settings over the preset's (scene.type among them)")
    render: dict[str, Any] = Field({}, description="render settings over the job's (render.spp, ...)")


class MixScene(SceneConfig):
    """Several scene kinds in one dataset (``parts``: name -> part, in the order given)."""

    type: Literal["mix"] = "mix"
    parts: dict[str, MixPart] = Field(min_length=1)

    @field_validator("parts")
    @classmethod
    def _names(cls, value: dict[str, MixPart]) -> dict[str, MixPart]:
        bad = [name for name in value if not name or not all(c.isalnum() or c in "-_" for c in name)]
        if bad:
            raise ValueError(f"part names are letters, digits, '-' and '_', got {bad}")
        return value

    def shares(self) -> tuple[tuple[str, float], ...]:
        return tuple((name, part.share) for name, part in self.parts.items())


@functools.cache
def block_quotas(shares: tuple[tuple[str, float], ...]) -> tuple[int, ...]:
    """Renders per ``BLOCK`` of each part: its share rounded by largest remainders, at least one each."""
    if len(shares) > BLOCK:
        raise ValueError(f"a mix has at most {BLOCK} parts, got {len(shares)}")
    total = sum(share for _, share in shares)
    exact = [share / total * BLOCK for _, share in shares]
    quotas = [max(1, math.floor(x)) for x in exact]
    while sum(quotas) < BLOCK:  # one more render for the part furthest below its share (ties: the first)
        k = max(range(len(quotas)), key=lambda k: (exact[k] - quotas[k], -k))
        quotas[k] += 1
    while sum(quotas) > BLOCK:  # one fewer for the part furthest above it (never below one)
        k = max((k for k in range(len(quotas)) if quotas[k] > 1), key=lambda k: (quotas[k] - exact[k], -k))
        quotas[k] -= 1
    return tuple(quotas)


@functools.cache
def block_pattern(job_seed: int, shares: tuple[tuple[str, float], ...]) -> tuple[int, ...]:
    """The part of each slot of a block: slots ranked along a seeded golden-ratio sequence, cut by the quotas."""
    offset = derive_rng(job_seed, Stream.MIX_ORDER).uniform()
    points = [(offset + slot * _GOLDEN) % 1.0 for slot in range(BLOCK)]
    ranked = sorted(range(BLOCK), key=lambda slot: points[slot])
    pattern = [0] * BLOCK
    start = 0
    for part, quota in enumerate(block_quotas(shares)):
        for slot in ranked[start : start + quota]:
            pattern[slot] = part
        start += quota
    return tuple(pattern)


def part_of(job_seed: int, shares: tuple[tuple[str, float], ...], render_index: int) -> tuple[str, int]:
    """(the part's name, the render's index among that part's renders) of a mixed job's render."""
    pattern = block_pattern(job_seed, shares)
    block, slot = divmod(render_index, BLOCK)
    part = pattern[slot]
    before = sum(1 for s in range(slot) if pattern[s] == part)
    return shares[part][0], block * block_quotas(shares)[part] + before


def part_counts(job_seed: int, shares: tuple[tuple[str, float], ...], num_renders: int) -> dict[str, int]:
    """How many of the first ``num_renders`` renders each part gets."""
    pattern = block_pattern(job_seed, shares)
    blocks, rest = divmod(num_renders, BLOCK)
    return {
        name: blocks * quota + sum(1 for s in range(rest) if pattern[s] == part)
        for part, ((name, _), quota) in enumerate(zip(shares, block_quotas(shares), strict=True))
    }
