"""The numpy finger skeleton (synthgen.scenes.hands.skeleton) against the Blender hand asset, and the thumb collision
test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthgen.scenes.hands.pose import POSE_FAMILIES, check_pose, sample_hand_pose
from synthgen.scenes.hands.skeleton import finger_points, thumb_overlaps

REPO = Path(__file__).resolve().parents[1]
_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from synthgen.assets.makehuman_data import ensure_makehuman_data

data_dir = ensure_makehuman_data()
import bpy
from blender_scenes.hands.hand_asset import HandAsset

bpy.ops.wm.read_factory_settings(use_empty=True)
hand = HandAsset.build(data_dir, "right")
out = []
for joints in json.loads(sys.argv[2]):
    hand.set_pose({k: tuple(v) for k, v in joints.items()})
    out.append(hand.keypoints_world().tolist())
print("RESULT " + json.dumps(out))
"""


@pytest.mark.blender
def test_numpy_skeleton_matches_the_asset() -> None:
    rng = np.random.default_rng(3)
    poses = [sample_hand_pose(rng, family)["joints"] for family in POSE_FAMILIES for _ in range(3)]
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(REPO), json.dumps(poses)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    blender = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))[7:])
    for joints, keypoints in zip(poses, blender, strict=True):
        points = finger_points(joints)
        ours = np.concatenate([points[f] for f in ("thumb", "index", "middle", "ring", "pinky")])
        np.testing.assert_allclose(ours, np.asarray(keypoints)[1:], atol=2e-4)


def test_thumb_through_a_finger_is_caught() -> None:
    # A fist with the thumb tucked too deep (every joint inside its limits): it passes through the index finger.
    joints = {f"{f}_{j}": [a, 0.0] for f in ("index", "middle", "ring", "pinky")
              for j, a in (("mcp", 80.0), ("pip", 92.0), ("dip", 61.0))}  # fmt: skip
    joints |= {"thumb_cmc": [17.9, -17.0], "thumb_mcp": [39.0, 0.0], "thumb_ip": [27.7, 0.0]}
    assert [finger for finger, _ in thumb_overlaps(joints)] == ["index"]
    pose = {"family": "fist", "joints": joints, "wrist": {"flexion": 0.0, "deviation": 0.0, "pronation": 0.0}}
    assert [e for e in check_pose(pose) if "thumb sinks" in e]
    # The same fist with the thumb lying across the curled fingers (abducted out in front of them) is fine.
    joints |= {"thumb_cmc": [13.9, -5.0], "thumb_mcp": [31.0, 0.0]}
    assert not thumb_overlaps(joints)


@pytest.mark.parametrize("family", POSE_FAMILIES)
def test_sampled_poses_keep_the_thumb_out_of_the_fingers(family: str) -> None:
    rng = np.random.default_rng(11)
    for _ in range(300):
        pose = sample_hand_pose(rng, family)
        assert not thumb_overlaps(pose["joints"]), (family, pose)
