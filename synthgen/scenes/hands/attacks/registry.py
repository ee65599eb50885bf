"""The attack types, by name: one entry per type, its module beside this file.

The Blender side has a registry with the same keys (``blender_scenes.hands.attacks.registry``). The order is the
order weighted draws walk, so it is part of every spec: append new types at the end.
"""

from __future__ import annotations

from synthgen.errors import UsageError
from synthgen.scenes.hands.attacks.attack_type import AttackType
from synthgen.scenes.hands.attacks.cutout_attack import CUTOUT
from synthgen.scenes.hands.attacks.print_attack import PRINT
from synthgen.scenes.hands.attacks.screen_attack import SCREEN
from synthgen.scenes.hands.attacks.silicone_attack import SILICONE

ATTACK_TYPES: dict[str, AttackType] = {attack.name: attack for attack in (PRINT, SCREEN, SILICONE, CUTOUT)}
ATTACK_TYPE_NAMES: tuple[str, ...] = tuple(ATTACK_TYPES)


def attack_type(name: str) -> AttackType:
    try:
        return ATTACK_TYPES[name]
    except KeyError:
        raise UsageError(f"attack_type: unknown attack type {name!r} (known: {', '.join(ATTACK_TYPES)})") from None
