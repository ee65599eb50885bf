"""What a scene builder is: the Blender side of a scene kind, declared once so the worker never probes.

A builder is made once per worker process (the first time a spec of its kind arrives) and then changed in place
for every spec: ``apply`` sets the scene from a spec, the worker renders, ``labels`` reports what the render
cannot (instance matrices, keypoints). Builders are registered by import string in ``blender_scenes.registry``
under the same keys as ``synthgen.scenes.registry``.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from blender_scenes.common.stage import Stage


class SceneBuilder(abc.ABC):
    """Owns every Blender datablock of its scene kind; ``apply`` sets them from a spec."""

    # Cycles seconds spent inside the last ``apply`` (a render an apply needs, e.g. an attack's source capture);
    # the worker counts them as render time.
    render_s_in_apply: float = 0.0

    @abc.abstractmethod
    def __init__(self, scene: bpy.types.Scene, stage: Stage, scratch: Path) -> None: ...

    @abc.abstractmethod
    def set_visible(self, visible: bool) -> None:
        """Shows or hides everything this builder owns (another kind's spec is being rendered)."""

    @abc.abstractmethod
    def apply(self, spec: dict[str, Any]) -> None:
        """Sets the scene from ``spec`` (camera and lights included)."""

    @abc.abstractmethod
    def labels(self) -> dict[str, Any]:
        """Labels of the applied spec read from the scene: ``instances`` and any kind-specific keys."""

    def pass_labels(self, passes: dict[str, np.ndarray], spec: dict[str, Any]) -> dict[str, Any]:
        """Labels read from the rendered passes (e.g. the products' defect AOV); none by default."""
        return {}

    def focus_points(self) -> list[list[float]] | None:
        """World points a camera focuses on (their mean); None: the subject's bounding box (pass index 1)."""
        return None

    def begin_nir(self, spec: dict[str, Any]) -> Any:
        """Switches the scene to the near-infrared capture; returns what ``end_nir`` needs to switch back."""
        raise NotImplementedError(f"nir: the {type(self).__name__} scene has no near-infrared capture")

    def end_nir(self, spec: dict[str, Any], saved: Any) -> None:
        raise NotImplementedError(f"nir: the {type(self).__name__} scene has no near-infrared capture")
