"""What an attack instrument is on the Blender side: one class per attack type, registered by import string in
``blender_scenes.hands.attacks.registry`` under the keys of ``synthgen.scenes.hands.attacks.registry``."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from blender_scenes.hands.attacks.builder import AttackBuilder


class Instrument(abc.ABC):
    """Built once per worker (hidden), then presented in place of the live hand for each attack of its type."""

    def __init__(self, attack: AttackBuilder) -> None:
        self.attack = attack

    @abc.abstractmethod
    def present(self, params: dict[str, Any], photo: np.ndarray | None) -> np.ndarray | None:
        """Puts the instrument in the scene for ``params`` (``photo``: the victim's image, for instruments that show
        one). Returns the world points where the photo shows the 21 keypoints, or None when the instrument is the
        hand itself (a replica)."""

    def set_nir(self, nir: bool) -> None:  # noqa: B027 (optional: an instrument may have no NIR response of its own)
        """Switches the instrument's materials to their near-infrared response."""

    def hide(self) -> None:  # noqa: B027 (optional: a material-only instrument has nothing to hide)
        """Takes the instrument out of the render."""
