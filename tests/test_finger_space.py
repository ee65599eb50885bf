"""Finger-space coordinates for creases and knuckle wrinkles, on a synthetic hand of straight cylinder fingers."""

from __future__ import annotations

import numpy as np

from synthgen.scenes.hands.finger_space import KNUCKLE_SCALE, PROXIMAL_CREASE_FRACTION, finger_attributes

PHALANGES_MM = (40.0, 25.0, 20.0)  # MCP->PIP, PIP->DIP, DIP->tip
RADIUS_M = 0.008


def _hand(side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keypoints and cylinder vertices of a flat hand (fingers +Y, palm -Z); the thumb is a finger too."""
    sign = -1.0 if side == "right" else 1.0  # the thumb is at -X for a right hand
    keypoints = np.zeros((21, 3))
    verts, owner = [], []
    for finger in range(5):
        x = sign * (0.04 - 0.02 * finger)
        base = 1 + 4 * finger
        ys = np.cumsum([0.09, *(p / 1000.0 for p in PHALANGES_MM)])
        if finger == 0:  # thumb: CMC, MCP, IP, tip
            ys = np.cumsum([0.03, 0.05, PHALANGES_MM[0] / 1000.0, PHALANGES_MM[1] / 1000.0])
        keypoints[base : base + 4] = np.stack([np.full(4, x), ys, np.zeros(4)], axis=1)
        for y in np.linspace(ys[0], ys[-1], 200):
            for angle in np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False):
                verts.append([x + RADIUS_M * np.sin(angle), y, RADIUS_M * np.cos(angle)])
                owner.append(finger)
    membership = np.zeros((5, len(verts)))
    membership[owner, np.arange(len(verts))] = 1.0
    return np.asarray(verts), keypoints, membership


def test_creases_and_knuckles_sit_at_the_joints() -> None:
    co, keypoints, membership = _hand("right")
    attrs = finger_attributes(co, keypoints, membership, "right")
    index = slice(200 * 16, 2 * 200 * 16)  # the index finger's vertices
    y = co[index, 1] - keypoints[5, 1]  # mm along the finger from its MCP (metres here)
    palmar, dorsal = co[index, 2] < -0.007, co[index, 2] > 0.007
    assert (attrs["finger_palmar"][index][palmar] > 0.99).all() and (attrs["finger_dorsal"][index][palmar] < 0.01).all()
    assert (attrs["finger_dorsal"][index][dorsal] > 0.99).all()
    # crease_d is the signed distance to the nearest crease: zero at the proximal, middle and distal creases.
    l1, l2 = PHALANGES_MM[0], PHALANGES_MM[1]
    for crease_mm in (PROXIMAL_CREASE_FRACTION * l1, l1, l1 + l2 - 1.0):
        near = np.abs(y * 1000.0 - crease_mm) < 0.3
        assert near.any() and np.abs(attrs["crease_d"][index][near]).max() < 0.35
    at_pip = np.abs(y * 1000.0 - l1) < 0.3
    assert np.abs(attrs["knuckle_d"][index][at_pip]).max() < 0.35
    assert np.allclose(attrs["knuckle_scale"][index][at_pip], KNUCKLE_SCALE["finger"][1])
    # Dorsal hand veins belong to the back of the hand, not to the fingers.
    assert attrs["dorsum"][index][y > 0.005].max() == 0.0
    # Fingertips are redder than finger bases.
    assert attrs["fingertip"][index][y > 0.08].min() > attrs["fingertip"][index][y < 0.03].max()


def test_left_and_right_hands_get_the_same_attributes() -> None:
    co, keypoints, membership = _hand("right")
    mirror = np.array([-1.0, 1.0, 1.0])
    right = finger_attributes(co, keypoints, membership, "right")
    left = finger_attributes(co * mirror, keypoints * mirror, membership, "left")
    for name, values in right.items():
        expected = -values if name == "finger_lat" else values  # lateral offsets flip with the mirror
        np.testing.assert_allclose(left[name], expected, atol=1e-4, err_msg=name)
