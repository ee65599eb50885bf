"""The fields every spec starts with: its version, the job seed, its render index and the render settings.

Kept apart from the spec dispatcher (``synthgen.pipeline.specs``) so that a scene kind can build the header of a
spec of its own (an attack's source capture) without importing the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthgen.config import JobConfig

# 2: products, attack and source-capture draws got their own seed streams; hand-held specs carry grip.diameter_m.
SPEC_SCHEMA_VERSION = 2  # the worker refuses specs of another version (blender_scenes.worker)


def render_settings_spec(config: JobConfig) -> dict[str, Any]:
    """The render settings that change pixels (stored in every spec for reproduction)."""
    settings = config.render
    return {
        "resolution": list(config.resolution),
        "spp": settings.spp,
        "adaptive_sampling": settings.adaptive_sampling,
        "adaptive_threshold": settings.adaptive_threshold,
        "adaptive_min_samples": settings.adaptive_min_samples,
        "denoise": settings.denoise,
        "denoiser_prefilter": settings.denoiser_prefilter,
        "denoiser_input": settings.denoiser_input,
        "denoiser_quality": settings.denoiser_quality,
        "max_bounces": settings.max_bounces,
        "diffuse_bounces": settings.diffuse_bounces,
        "glossy_bounces": settings.glossy_bounces,
        "transmission_bounces": settings.transmission_bounces,
        "volume_bounces": settings.volume_bounces,
        "transparent_bounces": settings.transparent_bounces,
        "clamp_direct": settings.clamp_direct,
        "clamp_indirect": settings.clamp_indirect,
        "caustics": settings.caustics,
        "filter_glossy": settings.filter_glossy,
        "light_tree": settings.light_tree,
        "scrambling_distance": settings.scrambling_distance,
        "persistent_data": settings.persistent_data,
        "nir": settings.nir.spec(),
        "view_transform": settings.view_transform,
    }


def spec_header(config: JobConfig, render_index: int, cycles_seed: int, **render: Any) -> dict[str, Any]:
    """The header of one spec; ``render`` overrides render settings (a source capture's own size and spp)."""
    return {
        "spec_version": SPEC_SCHEMA_VERSION,
        "job_seed": config.seed,
        "render_index": render_index,
        # Cycles takes a signed 32-bit seed.
        "render": render_settings_spec(config) | render | {"cycles_seed": cycles_seed & 0x7FFFFFFF},
    }
