"""Pure, seeded spec sampling: (job config, render index) -> scene spec, a plain JSON-serialisable record.

A spec holds every parameter the renderer needs, so a stored spec reproduces its sample exactly. The header
(version, seed, render settings) is common; the rest comes from the config's scene kind.
"""

from __future__ import annotations

from typing import Any

from synthgen.config import JobConfig
from synthgen.scenes.common.camera_model import sample_camera_model
from synthgen.scenes.common.spec_header import spec_header
from synthgen.scenes.registry import scene_kind
from synthgen.seeding import CAMERA_MODEL_KEY, CYCLES_KEY, Stream, derive_int_seed, derive_rng


def sample_spec(config: JobConfig, render_index: int) -> dict[str, Any]:
    """The scene spec for one render of a job; the same (config, index) always gives the same spec."""
    rng = derive_rng(config.seed, Stream.SCENE, render_index)
    cycles_seed = derive_int_seed(config.seed, Stream.SCENE, render_index, CYCLES_KEY)
    spec = spec_header(config, render_index, cycles_seed) | scene_kind(config.scene.type).sample(
        config, render_index, rng
    )
    if config.camera_model.enabled:  # absent: the ideal camera (specs written before it render as they did)
        camera_rng = derive_rng(config.seed, Stream.SCENE, render_index, CAMERA_MODEL_KEY)
        spec["camera_model"] = sample_camera_model(config.camera_model, camera_rng, config.scene.type)
    return spec
