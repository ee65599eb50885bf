"""Hand pose sampling: joint limits, couplings, family shapes, determinism (pure numpy, no Blender)."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthgen.scenes.hands.pose import (
    DIP_PIP_RATIO,
    DIP_PIP_TOLERANCE_DEG,
    FINGER_OVERLAP_MAX_DEG,
    FINGERS,
    JOINT_LIMITS,
    JOINT_NAMES,
    NEIGHBOUR_MAX_DIFF_DEG,
    POSE_FAMILIES,
    THUMB_MAX_TOTAL_FLEXION_DEG,
    WRIST_LIMITS,
    WRIST_RANGES,
    check_pose,
    grasp_flexion,
    joint_angles,
    sample_family,
    sample_hand_pose,
    spread_scale,
)
from synthgen.scenes.hands.rig import JOINT_BONES

REPO = Path(__file__).resolve().parents[1]
N_PER_FAMILY = 1500


@pytest.fixture(scope="module")
def samples() -> dict[str, list[dict[str, Any]]]:
    rng = np.random.default_rng(1234)
    return {f: [sample_hand_pose(rng, f) for _ in range(N_PER_FAMILY)] for f in POSE_FAMILIES}


def _angles(poses: list[dict[str, Any]], joint: str, axis: int = 0) -> np.ndarray:
    return np.array([p["joints"][joint][axis] for p in poses])


def test_every_rig_joint_has_limits() -> None:
    """The pose model and the rig (synthgen.scenes.hands.rig, which HandAsset builds from) name the same joints."""
    assert tuple(JOINT_BONES) == JOINT_NAMES
    assert set(JOINT_LIMITS) == set(JOINT_NAMES)


@pytest.mark.parametrize("family", POSE_FAMILIES)
def test_every_sample_is_inside_the_limits_and_couplings(samples: dict, family: str) -> None:
    poses = samples[family]
    for pose in poses:
        assert check_pose(pose) == [], pose
        assert pose["family"] == family
        assert set(pose["joints"]) == set(JOINT_NAMES)
        assert set(pose["wrist"]) == set(WRIST_LIMITS)
    # The same rules checked directly (not only through check_pose), vectorised over all samples.
    for joint, ((f_lo, f_hi), (s_lo, s_hi)) in JOINT_LIMITS.items():
        flex, spread = _angles(poses, joint), _angles(poses, joint, 1)
        assert flex.min() >= f_lo - 1e-2 and flex.max() <= f_hi + 1e-2, joint
        assert spread.min() >= s_lo - 1e-2 and spread.max() <= s_hi + 1e-2, joint
    for f in FINGERS:
        pip, dip = _angles(poses, f"{f}_pip"), _angles(poses, f"{f}_dip")
        assert np.abs(dip - DIP_PIP_RATIO * pip).max() <= DIP_PIP_TOLERANCE_DEG + 1e-2
        assert _angles(poses, f"{f}_mcp").max() <= 85.0 + 1e-2  # mesh cap
        assert pip.max() <= 100.0 + 1e-2 and dip.max() <= 65.0 + 1e-2
        assert np.all(_angles(poses, f"{f}_pip", 1) == 0.0) and np.all(_angles(poses, f"{f}_dip", 1) == 0.0)
    for a, b in (("middle", "ring"), ("ring", "pinky")):
        for joint, limit in NEIGHBOUR_MAX_DIFF_DEG.items():
            diff = np.abs(_angles(poses, f"{a}_{joint}") - _angles(poses, f"{b}_{joint}"))
            assert diff.max() <= limit + 1e-2, (a, b, joint)
    thumb = sum(np.maximum(_angles(poses, j), 0.0) for j in ("thumb_cmc", "thumb_mcp", "thumb_ip"))
    assert thumb.max() <= THUMB_MAX_TOTAL_FLEXION_DEG + 1e-2
    for key, (lo, hi) in WRIST_RANGES[family].items():
        w = np.array([p["wrist"][key] for p in poses])
        assert w.min() >= lo and w.max() <= hi


def test_spread_shrinks_with_flexion_and_fingers_do_not_cross(samples: dict) -> None:
    poses = samples["natural"]
    for f in FINGERS:
        mcp, spread = _angles(poses, f"{f}_mcp"), _angles(poses, f"{f}_mcp", 1)
        lo, hi = JOINT_LIMITS[f"{f}_mcp"][1]
        scale = np.array([spread_scale(x) for x in mcp])
        assert np.all(spread <= hi * scale + 1e-2) and np.all(spread >= lo * scale - 1e-2)
    radial = np.stack([s * _angles(poses, f"{f}_mcp", 1) for f, s in zip(FINGERS, (1, 1, -1, -1), strict=True)])
    assert np.all(np.diff(radial, axis=0) <= FINGER_OVERLAP_MAX_DEG + 1e-2)


def test_pose_is_plain_json_and_deterministic() -> None:
    for family in POSE_FAMILIES:
        a = sample_hand_pose(np.random.default_rng(7), family)
        b = sample_hand_pose(np.random.default_rng(7), family)
        assert a == b
        assert json.loads(json.dumps(a)) == a
        assert sample_hand_pose(np.random.default_rng(8), family) != a
    angles = joint_angles(a)
    assert tuple(angles) == JOINT_NAMES and all(isinstance(v, tuple) and len(v) == 2 for v in angles.values())


def test_family_shapes(samples: dict) -> None:
    mean = {f: {j: _angles(samples[f], j).mean() for j in JOINT_NAMES} for f in POSE_FAMILIES}
    open_palm = samples["open_palm"]
    for f in FINGERS:
        assert _angles(open_palm, f"{f}_mcp").min() >= -15 and _angles(open_palm, f"{f}_mcp").max() <= 15
        assert _angles(open_palm, f"{f}_pip").max() <= 15.0 + 1e-2
        assert mean["fist"][f"{f}_mcp"] > 70 and mean["fist"][f"{f}_pip"] > 85
    assert _angles(open_palm, "index_mcp").min() < 0  # slight hyperextension happens
    assert _angles(open_palm, "pinky_mcp", 1).mean() > _angles(open_palm, "middle_mcp", 1).mean() + 5  # natural fan
    # Relaxed: the flexion cascade increases from the index to the little finger.
    relaxed = [mean["relaxed"][f"{f}_mcp"] + mean["relaxed"][f"{f}_pip"] for f in FINGERS]
    assert all(b > a for a, b in itertools.pairwise(relaxed))
    # Pointing: index straight, the others fisted, thumb folded over them.
    point = samples["pointing"]
    assert _angles(point, "index_mcp").max() <= 15.0 + 1e-2 and _angles(point, "index_pip").max() <= 15.0 + 1e-2
    for f in FINGERS[1:]:
        assert _angles(point, f"{f}_mcp").min() >= 70 - 1e-2
    assert mean["pointing"]["thumb_cmc"] > 10 and mean["pointing"]["thumb_mcp"] > 30
    # Pinch: index half-flexed, thumb flexed towards it; smaller aperture -> more flexion.
    pinch = samples["pinch"]
    ap = np.array([p["params"]["aperture"] for p in pinch])
    idx = _angles(pinch, "index_mcp")
    assert idx[ap < 0.3].mean() > idx[ap > 0.7].mean() + 5
    assert mean["pinch"]["thumb_cmc"] > 5
    # Natural: covers the range broadly.
    nat = _angles(samples["natural"], "index_mcp")
    assert nat.min() < -20 and nat.max() > 75


def test_grasp_flexion_decreases_with_diameter() -> None:
    rng = np.random.default_rng(3)
    prev = None
    for d in (0.02, 0.035, 0.05, 0.065, 0.08):
        poses = [sample_hand_pose(rng, "grasp", grasp_diameter_m=d) for _ in range(200)]
        assert all(check_pose(p) == [] for p in poses)
        assert all(p["params"]["grasp_diameter_m"] == d for p in poses)
        total = np.mean([_angles(poses, f"{f}_{j}").mean() for f in FINGERS for j in ("mcp", "pip", "dip")])
        if prev is not None:
            assert total < prev
        prev = total
    m2, p2, _ = grasp_flexion(0.02, "index")
    m8, p8, _ = grasp_flexion(0.08, "index")
    assert m2 > 80 and p2 > 80 and 30 < m8 < 55 and 30 < p8 < 50
    with pytest.raises(ValueError):
        sample_hand_pose(rng, "grasp", grasp_diameter_m=0.5)


def test_open_palm_wrist_ranges() -> None:
    assert WRIST_RANGES["open_palm"] == {
        "flexion": (-15.0, 15.0),
        "deviation": (-10.0, 10.0),
        "pronation": (-20.0, 20.0),
    }


def test_check_pose_reports_violations() -> None:
    good = sample_hand_pose(np.random.default_rng(0), "relaxed")
    assert check_pose(good) == []

    def broken(**changes: Any) -> list[str]:
        pose = copy.deepcopy(good)
        for joint, value in changes.items():
            if joint == "wrist":
                pose["wrist"].update(value)
            elif value is None:
                del pose["joints"][joint]
            else:
                pose["joints"][joint] = value
        return check_pose(pose)

    assert any("index_mcp: flexion" in e for e in broken(index_mcp=[95.0, 0.0]))
    assert any("index_pip: spread" in e for e in broken(index_pip=[good["joints"]["index_pip"][0], 5.0]))
    assert any("DIP" in e for e in broken(index_pip=[90.0, 0.0], index_dip=[10.0, 0.0]))
    assert any(
        "middle/ring MCP" in e for e in broken(middle_mcp=[0.0, 0.0], ring_mcp=[80.0, 0.0], pinky_mcp=[80.0, 0.0])
    )
    assert any("cross" in e for e in broken(index_mcp=[0.0, -5.0], middle_mcp=[0.0, 10.0]))
    assert any("thumb total" in e for e in broken(thumb_cmc=[30.0, 0.0], thumb_mcp=[55.0, 0.0], thumb_ip=[80.0, 0.0]))
    assert any("missing joints" in e for e in broken(thumb_ip=None))
    assert any("unknown joints" in e for e in broken(index_knuckle=[0.0, 0.0]))
    assert any("wrist flexion" in e for e in broken(wrist={"flexion": 120.0}))
    assert check_pose({"family": "dance"}) != []


def test_sample_family_follows_weights() -> None:
    rng = np.random.default_rng(11)
    weights = {"open_palm": 3.0, "fist": 1.0, "natural": 0.0}
    draws = [sample_family(rng, weights) for _ in range(4000)]
    assert set(draws) == {"open_palm", "fist"}
    assert 0.70 < draws.count("open_palm") / len(draws) < 0.80
    # Key order does not matter.
    a = [sample_family(np.random.default_rng(5), {"fist": 1.0, "pinch": 2.0}) for _ in range(1)]
    b = [sample_family(np.random.default_rng(5), {"pinch": 2.0, "fist": 1.0}) for _ in range(1)]
    assert a == b
    for bad in ({"dance": 1.0}, {"fist": -1.0}, {"fist": 0.0}, {"fist": float("nan")}):
        with pytest.raises(ValueError):
            sample_family(rng, bad)
    with pytest.raises(ValueError):
        sample_hand_pose(rng, "dance")


def test_presenting_is_relaxed_between_open_palm_and_relaxed(samples: dict) -> None:
    """Palm-scanner presentation: fingers a little curled and closer together than the open palm, the thumb in
    every resting place, curl within the published ranges of synthgen.scenes.hands.pose.PRESENTING."""
    present, open_palm, relaxed = samples["presenting"], samples["open_palm"], samples["relaxed"]

    def curl(poses: list[dict[str, Any]]) -> float:
        return float(np.mean([_angles(poses, f"{f}_mcp") + _angles(poses, f"{f}_pip") for f in FINGERS]))

    def fan(poses: list[dict[str, Any]]) -> float:  # index-to-pinky opening angle
        return float(np.mean(_angles(poses, "index_mcp", 1) + _angles(poses, "pinky_mcp", 1)))

    assert curl(open_palm) + 10 < curl(present) < curl(relaxed) - 10
    assert fan(present) < fan(open_palm) - 8
    total = np.array([[p["joints"][f"{f}_mcp"][0] + p["joints"][f"{f}_pip"][0] for f in FINGERS] for p in present])
    # Mostly under the functional minimum MCP+PIP of Bain et al. 2015 (19 + 23), a share reaches it.
    assert 0.55 < np.mean(total.mean(axis=1) < 42.0) < 0.95
    modes = [p["params"]["thumb"] for p in present]
    assert set(modes) == {"alongside", "resting", "abducted", "across"}
    assert min(modes.count(m) for m in set(modes)) > 0.05 * len(modes)
    assert np.std(_angles(present, "thumb_cmc", 1)) > 10  # the thumb really moves


def test_every_family_varies_its_thumb_and_fingers(samples: dict) -> None:
    for family in POSE_FAMILIES:
        poses = samples[family]
        assert np.std(_angles(poses, "thumb_cmc", 1)) > 1.5, family
        assert np.std(_angles(poses, "index_mcp")) > 1.5, family
        assert np.std(_angles(poses, "ring_pip")) > 1.5, family
    assert {p["params"]["thumb"] for p in samples["pointing"]} == {"tucked", "up"}
    assert len({p["params"]["thumb"] for p in samples["open_palm"]}) == 3


def test_palm_scanner_preset_mostly_presents_relaxed() -> None:
    import yaml

    preset = yaml.safe_load((REPO / "synthgen" / "presets" / "palm-scanner.yaml").read_text())
    weights = preset["scene"]["pose_families"]
    assert weights["presenting"] / sum(weights.values()) >= 0.75
