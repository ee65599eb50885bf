"""Part ids of the ``part_mask`` label (docs/dataset-format.md#label-passes): one table for every scene kind, so
a hand holding a product has both in one mask (which object a part belongs to is the ``mask``'s instance)."""

from __future__ import annotations

FINGERS = ("thumb", "index", "middle", "ring", "pinky")
SEGMENTS = ("proximal", "middle", "distal")  # the thumb's are its metacarpal, proximal and distal phalanges

PART_NAMES: dict[int, str] = {0: "none", 1: "product_body", 2: "product_label", 3: "product_cap", 10: "palm",
                              11: "forearm"}  # fmt: skip
for _f, _finger in enumerate(FINGERS):
    for _s, _segment in enumerate(SEGMENTS):
        PART_NAMES[12 + 3 * _f + _s] = f"{_finger}_{_segment}"
    PART_NAMES[27 + _f] = f"{_finger}_nail"
PART_IDS = {name: part for part, name in PART_NAMES.items()}


def finger_segment_part(finger: int, segment: int) -> int:
    """Part id of finger ``finger`` (0 = thumb .. 4 = pinky), segment 0..2 (base to tip)."""
    return 12 + 3 * finger + segment


def nail_part(finger: int) -> int:
    return 27 + finger
