"""The scene kinds, by name: what config parsing, spec sampling, row building and the dataset schema read.

The built-in kinds are listed here; more come from plugins: modules named (comma-separated) in the environment
variable ``SYNTHGEN_PLUGINS``, imported once, each calling ``register_scene_kind`` (and
``blender_scenes.registry.register_builder`` for its Blender side). Render workers inherit the variable, so both
sides see the same kinds. The order of kinds is the order of their columns in every shard: built-ins first.
"""

from __future__ import annotations

import importlib
import os

from synthgen.errors import UsageError
from synthgen.scenes.hands.kind import HandsKind
from synthgen.scenes.kind import SceneKind
from synthgen.scenes.products.kind import ProductsKind
from synthgen.scenes.tabletop.kind import TabletopKind

PLUGINS_VARIABLE = "SYNTHGEN_PLUGINS"

_KINDS: dict[str, SceneKind] = {kind.name: kind for kind in (TabletopKind(), HandsKind(), ProductsKind())}
_plugins_loaded = False


def register_scene_kind(kind: SceneKind) -> None:
    """Adds a scene kind (a plugin's); its name must be new."""
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"scene kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind


def load_plugins() -> None:
    """Imports the plugin modules named in ``SYNTHGEN_PLUGINS`` (once per process)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for name in filter(None, (part.strip() for part in os.environ.get(PLUGINS_VARIABLE, "").split(","))):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise UsageError(f"{PLUGINS_VARIABLE}: cannot import plugin {name!r} ({exc})") from None


def scene_kinds() -> dict[str, SceneKind]:
    load_plugins()
    return dict(_KINDS)


def scene_kind(name: str) -> SceneKind:
    kinds = scene_kinds()
    if name not in kinds:
        raise UsageError(f"scene.type: unknown scene kind {name!r} (choose from {', '.join(kinds)})")
    return kinds[name]
