"""The attack instruments, by attack type, as import strings (keys as in ``synthgen.scenes.hands.attacks.registry``)."""

from __future__ import annotations

INSTRUMENTS: dict[str, str] = {
    "print": "blender_scenes.hands.attacks.print_attack:PrintInstrument",
    "screen": "blender_scenes.hands.attacks.screen_attack:ScreenInstrument",
    "silicone": "blender_scenes.hands.attacks.silicone_attack:SiliconeInstrument",
    "cutout": "blender_scenes.hands.attacks.cutout_attack:CutoutInstrument",
}
