"""Pure, seeded spec sampling: (job config, render index) -> scene spec, a plain JSON-serialisable record.

A spec holds every parameter the renderer needs, so a stored spec reproduces its sample exactly. The header
(version, seed, render settings) is common; the rest comes from the config's scene kind.
"""

from __future__ import annotations

from typing import Any

from synthgen.config import JobConfig, part_configs
from synthgen.scenes.common.camera_model import sample_camera_model
from synthgen.scenes.common.spec_header import spec_header
from synthgen.scenes.mix import MixScene, part_of
from synthgen.scenes.registry import scene_kind
from synthgen.seeding import CAMERA_MODEL_KEY, CYCLES_KEY, Stream, derive_int_seed, derive_rng


def sample_spec(config: JobConfig, render_index: int) -> dict[str, Any]:
    """The scene spec for one render of a job; the same (config, index) always gives the same spec."""
    rng = derive_rng(config.seed, Stream.SCENE, render_index)
    cycles_seed = derive_int_seed(config.seed, Stream.SCENE, render_index, CYCLES_KEY)
    job = config
    if isinstance(config.scene, MixScene):  # the part's kind samples it as render ``part_index`` of its own job
        part, part_index = part_of(config.seed, config.scene.shares(), render_index)
        job = part_configs(config)[part]
        spec = spec_header(job, render_index, cycles_seed)
        spec["mix"] = {"part": part, "part_index": part_index}
        spec |= scene_kind(job.scene.type).sample(job, part_index, rng)
    else:
        spec = spec_header(config, render_index, cycles_seed)
        spec |= scene_kind(config.scene.type).sample(config, render_index, rng)
    if job.camera_model.enabled:  # absent: the ideal camera (specs written before it render as they did)
        camera_rng = derive_rng(config.seed, Stream.SCENE, render_index, CAMERA_MODEL_KEY)
        spec["camera_model"] = sample_camera_model(job.camera_model, camera_rng, job.scene.type)
    return spec
