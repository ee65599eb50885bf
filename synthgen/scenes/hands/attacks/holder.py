"""The attacker's hand that holds a sheet or a device: a pinch at the instrument's bottom edge."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.scenes.common.sampling import rounded_uniform
from synthgen.scenes.hands.pose import sample_hand_pose


def sample_holder(rng: np.random.Generator) -> dict[str, Any]:
    """Where and how the attacker's thumb and index finger pinch the instrument's bottom edge."""
    pose = sample_hand_pose(rng, "pinch")
    pose["wrist"] = {name: round(a * 0.3, 3) for name, a in pose["wrist"].items()}  # a straight wrist
    return {"edge_position": rounded_uniform(rng, (0.25, 0.75)), "inset_m": rounded_uniform(rng, (0.006, 0.015)),
            "pose": pose}  # fmt: skip
