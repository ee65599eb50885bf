"""Seeded parameters of a procedural surface material (a table top, a backdrop, a sleeve's fabric)."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.scenes.common.sampling import linear_colour, uniform


def sample_surface(rng: np.random.Generator, material: str) -> dict[str, Any]:
    """Parameters of a procedural surface material (a table top or a backdrop)."""
    return {
        "material": material,
        "color_a": linear_colour(rng, (0.1, 0.6), (0.25, 0.85)),
        "color_b": linear_colour(rng, (0.1, 0.6), (0.1, 0.6)),
        "scale": uniform(rng, (2.0, 12.0)),
        "roughness": uniform(rng, (0.3, 0.9)),
        "rotation_deg": uniform(rng, (0.0, 180.0)),
        "bump": uniform(rng, (0.05, 0.4)),
    }
