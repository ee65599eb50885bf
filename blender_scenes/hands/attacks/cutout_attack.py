"""The paper cut-out instrument: the printed photo cut along the hand's outline, pinched at its lowest point."""

from __future__ import annotations

from blender_scenes.hands.attacks.print_attack import PrintInstrument


class CutoutInstrument(PrintInstrument):
    cut = True
