"""A test-only scene kind: one sphere on a textured ground. It proves that a new kind is one folder per side and one
registry entry per side (``kind.py`` for synthgen, ``builder.py`` for Blender), and is loaded as a plugin:
``SYNTHGEN_PLUGINS=tests.plugins.sphere`` (see docs/extending.md).
"""

from blender_scenes.registry import register_builder
from synthgen.scenes.registry import register_scene_kind
from tests.plugins.sphere.kind import SphereKind

register_scene_kind(SphereKind())
register_builder(SphereKind.name, "tests.plugins.sphere.builder:SphereBuilder")
