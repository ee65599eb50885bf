"""Presentation attacks on a hand identity (ISO/IEC 30107 presentation attack instruments), pure and seeded.

Each attack type is one module (``print_attack``, ``screen_attack``, ``silicone_attack``, ``cutout_attack``)
registered in ``registry.ATTACK_TYPES``; its Blender instrument is the module of the same type in
``blender_scenes/hands/attacks/`` (``blender_scenes.hands.attacks.registry``). ``plan`` decides which renders
are attacks and draws their parameters.
"""
