"""Render worker process: imports Blender once, builds each scene type once, renders batches of specs.

Started by ``synthgen.pipeline.render_pool`` as ``python -m blender_scenes.worker --fd-in R --fd-out W``. Messages are
pickled over those two pipes (Blender prints its own progress on stdout, so stdout cannot carry them):

- in:  ("render", [spec, ...]) or ("stop",)
- out: ("ready", info) once; per spec ("result", render_index, result) or ("error", render_index, traceback);
  ("batch_done",) after each batch.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from blender_scenes.common.render_setup import apply_render_settings, configure_engine, render_to_arrays
from blender_scenes.common.stage import Stage

log = logging.getLogger("blender_scenes.worker")


def _build_scene(scene_type: str, scene: bpy.types.Scene, stage: Stage, scratch: Path) -> Any:
    """Scene builders are imported lazily: a tabletop worker never loads the hand asset."""
    if scene_type == "tabletop":
        from blender_scenes.tabletop.builder import TabletopScene

        return TabletopScene(scene, stage)
    if scene_type == "hands":
        from blender_scenes.hands.attacks.builder import AttackScene
        from blender_scenes.hands.builder import HandScene

        return AttackScene(HandScene(scene, stage), scratch)  # live hands and presentation attacks
    if scene_type == "products":
        from blender_scenes.products.builder import ProductScene

        return ProductScene(scene, stage)
    raise ValueError(f"scene_type: this worker cannot build {scene_type!r}")


class SceneRenderer:
    """One Blender scene per worker process; each scene type's assets are built once and changed per spec."""

    def __init__(self, threads: int, scratch: Path) -> None:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = bpy.context.scene
        configure_engine(self.scene, threads)
        self.stage = Stage(self.scene)
        self.builders: dict[str, Any] = {}
        self.scratch = scratch

    def _builder(self, scene_type: str) -> Any:
        if scene_type not in self.builders:
            self.builders[scene_type] = _build_scene(scene_type, self.scene, self.stage, self.scratch)
        for name, builder in self.builders.items():
            builder.set_visible(name == scene_type)
        return self.builders[scene_type]

    def render(self, spec: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        builder = self._builder(spec["scene_type"])
        apply_render_settings(self.scene, spec["render"])
        builder.apply(spec)
        bpy.context.view_layer.update()
        applied = time.perf_counter()
        passes = render_to_arrays(self.scene, self.scratch)
        # A builder may render inside apply() (an attack's source capture): that is Cycles time too.
        render_s = time.perf_counter() - applied + getattr(builder, "render_s_in_apply", 0.0)
        result = {
            "image": passes["image"],
            "object_index": passes["object_index"],
            "depth": passes["depth"],
            "camera": self.stage.camera_record(),
            **builder.labels(),
        }
        if hasattr(builder, "pass_labels"):  # labels read from extra render passes (the products' defect AOV)
            result |= builder.pass_labels(passes, spec)
        nir = spec.get("nir")
        if nir and nir.get("enabled"):
            saved = builder.begin_nir(spec)
            self.scene.cycles.samples = nir["spp"]
            nir_started = time.perf_counter()
            try:
                nir_image = render_to_arrays(self.scene, self.scratch)["image"]
            finally:
                builder.end_nir(spec, saved)
                self.scene.cycles.samples = spec["render"]["spp"]
            render_s += time.perf_counter() - nir_started
            # An NIR sensor is monochrome: the capture is the luminance of the rendered response.
            result["nir"] = np.rint(nir_image.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722])).astype(np.uint8)
        result["timings"] = {
            "apply_s": applied - started - getattr(builder, "render_s_in_apply", 0.0),
            "render_s": render_s,
        }
        return result


def serve(conn_in: Connection, conn_out: Connection, threads: int) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="synthgen-worker-") as scratch:
        renderer = SceneRenderer(threads, Path(scratch))
        conn_out.send(("ready", {"startup_s": time.perf_counter() - started, "blender": bpy.app.version_string}))
        while True:
            try:
                message = conn_in.recv()
            except EOFError:  # the parent went away: nothing left to do
                return
            if message[0] == "stop":
                return
            for spec in message[1]:
                try:
                    conn_out.send(("result", spec["render_index"], renderer.render(spec)))
                except Exception:
                    conn_out.send(("error", spec["render_index"], traceback.format_exc()))
            conn_out.send(("batch_done",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd-in", type=int, required=True)
    parser.add_argument("--fd-out", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    serve(Connection(args.fd_in, writable=False), Connection(args.fd_out, readable=False), args.threads)


if __name__ == "__main__":
    main()
