"""Render worker process: imports Blender once, builds the scene once, renders batches of specs.

Started by ``synthgen.render_pool`` as ``python -m blender_scenes.worker --fd-in R --fd-out W``. Messages are
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

from blender_scenes.render_setup import apply_render_settings, configure_engine, render_to_arrays
from blender_scenes.tabletop import TabletopScene

log = logging.getLogger("blender_scenes.worker")


class SceneRenderer:
    """One Blender scene per worker process, rebuilt never, changed per spec."""

    def __init__(self, threads: int, scratch: Path) -> None:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = bpy.context.scene
        configure_engine(self.scene, threads)
        self.tabletop = TabletopScene(self.scene)
        self.scratch = scratch

    def render(self, spec: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        apply_render_settings(self.scene, spec["render"])
        if spec["scene_type"] != "tabletop":
            raise ValueError(f"scene_type: this worker cannot build {spec['scene_type']!r}")
        self.tabletop.apply(spec)
        bpy.context.view_layer.update()
        applied = time.perf_counter()
        passes = render_to_arrays(self.scene, self.scratch)
        rendered = time.perf_counter()
        return {
            "image": passes["image"],
            "object_index": passes["object_index"],
            "depth": passes["depth"],
            "camera": self.tabletop.camera_record(),
            "instances": self.tabletop.instances(),
            "timings": {"apply_s": applied - started, "render_s": rendered - applied},
        }


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
