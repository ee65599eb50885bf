"""Pure, seeded spec sampling: (job config, render index) -> scene spec, a plain JSON-serialisable record.

A spec holds every parameter the renderer needs, so a stored spec reproduces its sample exactly. The header
(version, seed, render settings) is common; the rest comes from the config's scene kind.
"""

from __future__ import annotations

from typing import Any

from synthgen.assets.backgrounds import sample_user_backgrounds
from synthgen.config import JobConfig
from synthgen.scenes.common.spec_header import spec_header
from synthgen.scenes.registry import scene_kind
from synthgen.seeding import CYCLES_KEY, USER_BACKGROUND_KEY, Stream, derive_int_seed, derive_rng


def sample_spec(config: JobConfig, render_index: int) -> dict[str, Any]:
    """The scene spec for one render of a job; the same (config, index) always gives the same spec."""
    rng = derive_rng(config.seed, Stream.SCENE, render_index)
    cycles_seed = derive_int_seed(config.seed, Stream.SCENE, render_index, CYCLES_KEY)
    spec = spec_header(config, render_index, cycles_seed)
    spec |= scene_kind(config.scene.type).sample(config, render_index, rng)
    # Opt-in settings join the spec only when set, so specs of earlier jobs stay as they were.
    if config.assets.backplates or config.assets.hdris or config.assets.textures:
        own = derive_rng(config.seed, Stream.SCENE, render_index, USER_BACKGROUND_KEY)
        spec["user_backgrounds"] = sample_user_backgrounds(config.assets, own)
    if config.labels.normals or config.labels.parts:
        spec["label_passes"] = {"normals": config.labels.normals, "parts": config.labels.parts}
    return spec
