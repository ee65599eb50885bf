"""What a backdrop shows, as a small interface: a source turns a spec's ``background`` into a material.

``background = {"type": "backdrop", "source": NAME, ...}`` (no ``source``: ``"surface"``, a procedural surface
of ``synthgen.scenes.common.surfaces``). A file-backed source (a user's photograph as a backplate) registers
itself with ``register_backdrop_source(NAME, "package.module:Class")``; the class is built once per worker with
no arguments and its ``material(background)`` returns the material to put on the backdrop plane (a plane of
``BACKDROP_SIZE_M`` with UVs over [0, 1]^2, its normal facing the camera, centred on the line of sight).
"""

from __future__ import annotations

from typing import Any, Protocol

import bpy

from blender_scenes.common.surface_materials import SURFACE_FAMILIES, apply_surface, build_surface_material
from blender_scenes.registry import load_object

DEFAULT_SOURCE = "surface"


class BackdropSource(Protocol):
    def material(self, background: dict[str, Any]) -> bpy.types.Material:
        """The backdrop's material for ``background`` (built once, its parameters set per spec)."""
        ...


class SurfaceBackdrop:
    """The procedural surfaces (wood, tiles, concrete, fabric, marble), one material per family."""

    def __init__(self) -> None:
        self.materials = {family: build_surface_material(family) for family in SURFACE_FAMILIES}

    def material(self, background: dict[str, Any]) -> bpy.types.Material:
        surface = background["surface"]
        material = self.materials[surface["material"]]
        apply_surface(material, surface)
        return material


BACKDROP_SOURCES: dict[str, str] = {DEFAULT_SOURCE: "blender_scenes.common.backdrop:SurfaceBackdrop"}


def register_backdrop_source(name: str, import_path: str) -> None:
    """Adds a backdrop source (``"package.module:Class"``); a name is registered once."""
    if BACKDROP_SOURCES.get(name, import_path) != import_path:
        raise ValueError(f"backdrop source {name!r} is already registered")
    BACKDROP_SOURCES[name] = import_path


class Backdrops:
    """The backdrop sources of one worker, each built on first use."""

    def __init__(self) -> None:
        self.sources: dict[str, BackdropSource] = {}

    def material(self, background: dict[str, Any]) -> bpy.types.Material:
        name = background.get("source", DEFAULT_SOURCE)
        if name not in self.sources:
            if name not in BACKDROP_SOURCES:
                raise ValueError(f"background.source: unknown backdrop source {name!r} ({', '.join(BACKDROP_SOURCES)})")
            self.sources[name] = load_object(BACKDROP_SOURCES[name])()
        return self.sources[name].material(background)
