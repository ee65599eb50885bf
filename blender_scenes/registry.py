"""The scene builders, by scene kind, as import strings: a test compares the keys with
``synthgen.scenes.registry`` without starting Blender, and a worker imports only the builders it needs.

Plugins (``SYNTHGEN_PLUGINS``, see ``synthgen.scenes.registry``) add theirs with ``register_builder``.
"""

from __future__ import annotations

import importlib
from typing import Any

BUILDERS: dict[str, str] = {
    "tabletop": "blender_scenes.tabletop.builder:TabletopBuilder",
    "hands": "blender_scenes.hands.attacks.builder:AttackBuilder",  # live hands and presentation attacks
    "products": "blender_scenes.products.builder:ProductBuilder",
}


def register_builder(scene_type: str, import_path: str) -> None:
    """Adds the builder of a plugin's scene kind (``"package.module:ClassName"``)."""
    if BUILDERS.get(scene_type, import_path) != import_path:
        raise ValueError(f"a builder for scene kind {scene_type!r} is already registered")
    BUILDERS[scene_type] = import_path


def load_object(import_path: str) -> Any:
    """``"package.module:Name"`` -> the object (imported on first use)."""
    module_name, _, name = import_path.partition(":")
    return getattr(importlib.import_module(module_name), name)


def builder_class(scene_type: str) -> Any:
    from synthgen.scenes.registry import load_plugins

    load_plugins()
    if scene_type not in BUILDERS:
        raise ValueError(f"scene_type: this worker cannot build {scene_type!r} (known: {', '.join(BUILDERS)})")
    return load_object(BUILDERS[scene_type])
