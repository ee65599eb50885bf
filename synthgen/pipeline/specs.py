"""Pure, seeded samplers: (job config, render index) -> scene spec, a plain JSON-serialisable record.

A spec holds every parameter the renderer needs, so a stored spec reproduces its sample exactly.
"""

from __future__ import annotations

from typing import Any

from synthgen.config import HandsScene, JobConfig, ProductsScene
from synthgen.scenes.tabletop.sampler import sample_tabletop_spec
from synthgen.seeding import Stream, derive_int_seed, derive_rng

SPEC_SCHEMA_VERSION = 1


def render_settings_spec(config: JobConfig) -> dict[str, Any]:
    """The render settings that change pixels (stored in every spec for reproduction)."""
    settings = config.render
    return {
        "resolution": list(config.resolution),
        "spp": settings.spp,
        "adaptive_sampling": settings.adaptive_sampling,
        "adaptive_threshold": settings.adaptive_threshold,
        "denoise": settings.denoise,
        "max_bounces": settings.max_bounces,
        "view_transform": settings.view_transform,
    }


def sample_spec(config: JobConfig, render_index: int) -> dict[str, Any]:
    """The scene spec for one render of a job; the same (config, index) always gives the same spec."""
    rng = derive_rng(config.seed, Stream.SCENE, render_index)
    spec: dict[str, Any] = {
        "spec_version": SPEC_SCHEMA_VERSION,
        "job_seed": config.seed,
        "render_index": render_index,
        # Cycles takes a signed 32-bit seed.
        "render": render_settings_spec(config)
        | {"cycles_seed": derive_int_seed(config.seed, Stream.SCENE, render_index, 1) & 0x7FFFFFFF},
    }
    if isinstance(config.scene, HandsScene):
        from synthgen.scenes.hands.attacks.plan import with_attack
        from synthgen.scenes.hands.sampler import sample_hands_spec

        spec |= sample_hands_spec(config.seed, config.scene, render_index, rng, config.render.spp)
        spec = with_attack(config, spec)
    elif isinstance(config.scene, ProductsScene):
        from synthgen.scenes.products.sampler import sample_products_spec

        splits = dict(config.dataset.splits)
        spec |= sample_products_spec(config.seed, config.scene, splits, config.resolution, rng, config.render.spp)
    else:
        spec |= sample_tabletop_spec(config.scene, config.resolution, rng)
    return spec
