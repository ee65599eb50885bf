"""Presentation attacks (spoofs) on the hands scene: printed photos, screen replays, silicone replicas and paper
cut-outs of a victim identity's palm. Pure planning and image processing; the instruments are built in
``blender_scenes/attack_*.py``."""

from synthgen.scenes.hands.attacks.config import ATTACK_TYPES, AttackSampling

__all__ = ["ATTACK_TYPES", "AttackSampling"]
