"""Pure, seeded spec sampling: (job config, render index) -> scene spec, a plain JSON-serialisable record.

A spec holds every parameter the renderer needs, so a stored spec reproduces its sample exactly. The header
(version, seed, render settings) is common; the rest comes from the config's scene kind.
"""

from __future__ import annotations

from typing import Any

from synthgen.assets.backgrounds import sample_user_backgrounds
from synthgen.config import JobConfig, part_configs
from synthgen.scenes.common.camera_model import sample_camera_model
from synthgen.scenes.common.spec_header import spec_header
from synthgen.scenes.mix import MixScene, part_of
from synthgen.scenes.registry import scene_kind
from synthgen.seeding import CAMERA_MODEL_KEY, CYCLES_KEY, USER_BACKGROUND_KEY, Stream, derive_int_seed, derive_rng


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
    # Opt-in settings join the spec only when set, so specs of earlier jobs stay as they were.
    if job.camera_model.enabled:  # absent: the ideal camera
        camera_rng = derive_rng(config.seed, Stream.SCENE, render_index, CAMERA_MODEL_KEY)
        spec["camera_model"] = sample_camera_model(job.camera_model, camera_rng, job.scene.type)
    if job.assets.backplates or job.assets.hdris or job.assets.textures:
        own = derive_rng(config.seed, Stream.SCENE, render_index, USER_BACKGROUND_KEY)
        spec["user_backgrounds"] = sample_user_backgrounds(job.assets, own)
    if job.labels.normals or job.labels.parts or job.labels.palm_lines:
        spec["label_passes"] = {"normals": job.labels.normals, "parts": job.labels.parts}
        if job.labels.palm_lines:  # only then, so label specs of earlier jobs stay as they were
            spec["label_passes"]["palm_lines"] = True
    return spec
