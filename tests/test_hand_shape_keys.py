"""Identity shapes as shape keys: reshaping one built hand matches building that shape from scratch.

Everything Blender-side runs in one subprocess (``bpy`` is never imported in the pytest process).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.blender

REPO = Path(__file__).resolve().parents[1]
SHAPES = [
    {"scale": 0.4, "fingers_length": -0.3, "fingers_diameter": 0.2, "fingers_distance": 0.35, "translation": -0.25,
     "wrist_circumference": 0.3},
    {"scale": -0.5, "fingers_length": 0.5, "translation": 0.4},
    {"fingers_diameter": -0.45, "fingers_distance": -0.4, "wrist_circumference": -0.3},
    {},
]  # fmt: skip

_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from synthgen.assets.makehuman_data import ensure_makehuman_data

data_dir = ensure_makehuman_data()

import bpy
from mathutils import Matrix
from blender_scenes.hands.hand_asset import HandAsset

bpy.ops.wm.read_factory_settings(use_empty=True)
shapes = json.loads(sys.argv[2])
pose = {"index_mcp": (40.0, 10.0), "index_pip": (60.0, 0.0), "index_dip": (40.0, 0.0), "middle_mcp": (70.0, 0.0),
        "ring_pip": (80.0, 0.0), "pinky_mcp": (-20.0, 15.0), "thumb_cmc": (15.0, -10.0), "thumb_mcp": (30.0, 0.0)}
world = Matrix.Translation((0.1, -0.2, 0.3)) @ Matrix.Rotation(0.7, 4, "X") @ Matrix.Rotation(-1.1, 4, "Z")


def posed(hand):
    hand.set_pose(pose)
    hand.set_wrist(25.0, -8.0, 40.0)
    hand.armature_object.matrix_world = world
    depsgraph = bpy.context.evaluated_depsgraph_get()
    depsgraph.update()
    evaluated = hand.mesh_object.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    co = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", co)
    evaluated.to_mesh_clear()
    m = np.array(hand.mesh_object.matrix_world)
    centre, normal = hand.palm_center_and_normal()
    verts = co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]
    return {"verts": verts.tolist(), "keypoints": hand.keypoints_world().tolist(), "palm": [*centre, *normal]}


out = {}
for side in ("right", "left"):
    keyed = HandAsset.build(data_dir, side, name="keyed")
    res = out[side] = {"keyed": [], "fresh": [], "reshape_ms": []}
    for shape in shapes:
        t0 = time.perf_counter()
        keyed.set_shape(shape)
        res["reshape_ms"].append(1000 * (time.perf_counter() - t0))
        res["keyed"].append(posed(keyed))
        fresh = HandAsset.build(data_dir, side, shape=shape, shape_keys=False, name="fresh")
        res["fresh"].append(posed(fresh))
        for obj in (fresh.mesh_object, fresh.armature_object):
            bpy.data.objects.remove(obj)
    res["shape_kept"] = keyed.shape == shapes[-1]
    try:
        keyed.set_shape({"thumb_size": 0.3})
        res["unknown_raised"] = False
    except KeyError:
        res["unknown_raised"] = True
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(REPO), json.dumps(SHAPES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"blender subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_reshaped_hand_equals_a_fresh_build(result: dict[str, Any], side: str, index: int) -> None:
    keyed, fresh = result[side]["keyed"][index], result[side]["fresh"][index]
    for key in ("verts", "keypoints", "palm"):
        np.testing.assert_allclose(keyed[key], fresh[key], atol=1e-5, err_msg=key)


@pytest.mark.parametrize("side", ["right", "left"])
def test_shapes_really_differ(result: dict[str, Any], side: str) -> None:
    """The comparison above is not vacuous: each shape moves the posed hand's keypoints by millimetres."""
    unshaped = np.asarray(result[side]["fresh"][-1]["keypoints"])
    for shaped in result[side]["fresh"][:-1]:
        moved = np.abs(np.asarray(shaped["keypoints"]) - unshaped).max()
        assert moved > 0.002, moved


@pytest.mark.parametrize("side", ["right", "left"])
def test_reshape_is_cheap_and_checked(result: dict[str, Any], side: str) -> None:
    assert result[side]["shape_kept"] and result[side]["unknown_raised"]
    # A rebuild takes 100-250 ms; a reshape is shape-key values and a refitted rig (a few ms, generous bound).
    assert float(np.median(result[side]["reshape_ms"])) < 60.0
