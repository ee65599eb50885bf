"""The MakeHuman hand asset: geometry, posing and keypoints.

``bpy`` must never be imported in the pytest process, so everything Blender-side runs in one
subprocess (a module-scoped fixture) that prints its measurements as JSON.
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

_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from synthgen.assets.makehuman_data import ensure_makehuman_data

data_dir = ensure_makehuman_data()

import bpy
from blender_scenes.hands.hand_asset import JOINT_NAMES, HandAsset

bpy.ops.wm.read_factory_settings(use_empty=True)
curl = lambda m, p, d: {f"{f}_{j}": (a, 0.0) for f in ("index", "middle", "ring", "pinky")
                        for j, a in (("mcp", m), ("pip", p), ("dip", d))}
poses = {
    "open": {"thumb_cmc": (-10.0, 25.0), "index_mcp": (0.0, 10.0), "pinky_mcp": (0.0, 15.0)},
    "fist": {**curl(85.0, 90.0, 50.0), "thumb_cmc": (15.0, -15.0), "thumb_mcp": (40.0, 0.0),
             "thumb_ip": (35.0, 0.0)},
}
out = {"joint_names": list(JOINT_NAMES)}
depsgraph = bpy.context.evaluated_depsgraph_get()
for side in ("right", "left"):
    hand = HandAsset.build(data_dir, side)
    res = out[side] = {"bone_lengths": hand.bone_lengths()}
    try:
        hand.set_pose({"index_knuckle": (1.0, 0.0)})
        res["unknown_joint_raised"] = False
    except KeyError:
        res["unknown_joint_raised"] = True
    for name, pose in poses.items():
        hand.set_pose(pose)
        kp = hand.keypoints_world()
        centre, normal = hand.palm_center_and_normal()
        mesh = hand.mesh_object.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
        co = np.array([hand.mesh_object.matrix_world @ v.co for v in mesh.vertices])
        hand.mesh_object.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh_clear()
        tip_gap = [float(np.min(np.linalg.norm(co - kp[i], axis=1))) for i in (4, 8, 12, 16, 20)]
        res[name] = {"keypoints": kp.tolist(), "palm_centre": centre.tolist(),
                     "palm_normal": normal.tolist(), "tip_to_surface": tip_gap}
    # Moving the rig moves the keypoints with it.
    hand.armature_object.location = (0.5, 0.0, 1.0)
    res["moved_wrist"] = hand.keypoints_world()[0].tolist()
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(REPO)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,  # first run may download the 48 MB wheel; afterwards a few seconds
        check=False,
    )
    assert proc.returncode == 0, f"blender subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def _kp(result: dict[str, Any], side: str, pose: str) -> np.ndarray:
    return np.asarray(result[side][pose]["keypoints"])


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("pose", ["open", "fist"])
def test_keypoints_shape_and_finite(result: dict[str, Any], side: str, pose: str) -> None:
    kp = _kp(result, side, pose)
    assert kp.shape == (21, 3)
    assert np.isfinite(kp).all()
    # Fingertip keypoints lie on the deformed skin.
    assert max(result[side][pose]["tip_to_surface"]) < 0.003


@pytest.mark.parametrize("side", ["right", "left"])
def test_bone_lengths_plausible(result: dict[str, Any], side: str) -> None:
    kp = _kp(result, side, "open")
    # Phalanges: MCP->PIP->DIP->tip per finger, thumb MCP->IP->tip (keypoint indices).
    chains = [(2, 3), (3, 4)] + [(b + j, b + j + 1) for b in (5, 9, 13, 17) for j in range(3)]
    lengths_mm = [1000 * float(np.linalg.norm(kp[a] - kp[b])) for a, b in chains]
    assert all(10.0 <= x <= 45.0 for x in lengths_mm), lengths_mm
    hand_length_mm = 1000 * float(np.linalg.norm(kp[12] - kp[0]))
    assert 150.0 <= hand_length_mm <= 220.0, hand_length_mm
    # The pose does not change bone lengths.
    fist = _kp(result, side, "fist")
    fist_mm = [1000 * float(np.linalg.norm(fist[a] - fist[b])) for a, b in chains]
    np.testing.assert_allclose(fist_mm, lengths_mm, atol=0.5)


@pytest.mark.parametrize("side", ["right", "left"])
def test_fist_closes_fingers(result: dict[str, Any], side: str) -> None:
    tips = [8, 12, 16, 20]
    for ref in ("wrist", "palm"):
        dists = {}
        for pose in ("open", "fist"):
            kp = _kp(result, side, pose)
            anchor = kp[0] if ref == "wrist" else np.asarray(result[side][pose]["palm_centre"])
            dists[pose] = np.linalg.norm(kp[tips] - anchor, axis=1)
        assert (dists["fist"] < 0.8 * dists["open"]).all(), (ref, dists)


@pytest.mark.parametrize("pose", ["open", "fist"])
def test_left_is_mirror_of_right(result: dict[str, Any], pose: str) -> None:
    mirror = np.array([-1.0, 1.0, 1.0])
    right, left = _kp(result, "right", pose), _kp(result, "left", pose)
    np.testing.assert_allclose(left, right * mirror, atol=0.003)
    for key in ("palm_centre", "palm_normal"):
        r, le = np.asarray(result["right"][pose][key]), np.asarray(result["left"][pose][key])
        np.testing.assert_allclose(le, r * mirror, atol=0.003)


@pytest.mark.parametrize("side", ["right", "left"])
def test_palm_frame_and_handedness(result: dict[str, Any], side: str) -> None:
    kp = _kp(result, side, "open")
    normal = np.asarray(result[side]["open"]["palm_normal"])
    assert abs(np.linalg.norm(normal) - 1.0) < 1e-6
    # Anatomical handedness: palm normal = radial x distal for a right hand, its mirror for a left.
    distal = kp[9] - kp[0]
    radial = kp[5] - kp[17]
    expected = np.cross(radial, distal) if side == "right" else np.cross(distal, radial)
    assert np.dot(normal, expected / np.linalg.norm(expected)) > 0.9
    # Canonical frame: wrist at the origin, fingers along +Y, palm facing -Z.
    np.testing.assert_allclose(kp[0], 0.0, atol=1e-6)
    assert distal[1] > 0.08 and normal[2] < -0.9


def test_api_details(result: dict[str, Any]) -> None:
    assert len(result["joint_names"]) == 15
    for side in ("right", "left"):
        assert result[side]["unknown_joint_raised"]
        np.testing.assert_allclose(result[side]["moved_wrist"], [0.5, 0.0, 1.0], atol=1e-6)
