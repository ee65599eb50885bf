"""Short runs show the variety: any prefix of a hands job spreads identities, skin types, splits and attacks."""

from __future__ import annotations

from collections import Counter

import pytest

from synthgen.config import load_config
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.hands.identity_order import BLOCK, _affine_permutation, identity_of
from synthgen.splits import assign_split

HAND_PRESETS = ("palm-scanner", "hands")


@pytest.mark.parametrize("preset", HAND_PRESETS)
def test_a_six_render_preview_shows_several_identities_skin_types_and_splits(preset: str) -> None:
    config = load_config(preset, overrides={"num_renders": 6})
    specs = [sample_spec(config, i) for i in range(6)]
    assert len({s["identity_id"] for s in specs}) == 6
    assert len({s["identity"]["skin"]["fitzpatrick"] for s in specs}) >= 3
    assert len({s["identity"]["handedness"] for s in specs}) == 2
    splits = {assign_split(config.seed, s["split_group"], config.dataset.splits) for s in specs}
    assert splits == {"train", "val", "test"}  # no empty split in a preview


def test_the_hands_smoke_preset_shows_both_identities_in_its_first_two_renders() -> None:
    config = load_config("hands-smoke")
    assert {sample_spec(config, i)["identity_id"] for i in range(2)} == set(range(config.scene.identities))


def test_a_palm_scanner_preview_holds_attacks_of_different_types() -> None:
    for seed in range(4):
        config = load_config("palm-scanner", overrides={"seed": seed, "num_renders": 12})
        attacks = [sample_spec(config, i)["attack_type"] for i in range(12)]
        kinds = Counter(a for a in attacks if a)
        assert 2 <= sum(kinds.values()) <= 6 and len(kinds) >= 2, (seed, attacks)


@pytest.mark.parametrize(("identities", "per_identity"), [(7, 3), (100, 10), (37, 1), (1, 4), (40, 7)])
def test_every_identity_gets_exactly_samples_per_identity_renders(identities: int, per_identity: int) -> None:
    ratios = {"train": 0.8, "val": 0.1, "test": 0.1}
    order = [identity_of(5, r, identities, per_identity, ratios) for r in range(identities * per_identity)]
    assert Counter(order) == {i: per_identity for i in range(identities)}
    assert order == [identity_of(5, r, identities, per_identity, ratios) for r in range(len(order))]  # deterministic
    first = order[: min(identities, BLOCK)]
    assert len(set(first)) == len(first)  # consecutive renders show different people
    if identities > 1:
        assert first != sorted(first)  # seeded, not index order
        assert [identity_of(6, r, identities, per_identity, ratios) for r in range(len(first))] != first
    # A block of BLOCK identities fills BLOCK x samples_per_identity consecutive renders (a worker's source cache).
    assert len(set(order[: BLOCK * per_identity])) == min(identities, BLOCK)


def test_the_order_of_a_huge_catalogue_is_a_permutation() -> None:
    n = 1_000_003 * 6
    multiplier, offset = _affine_permutation(3, n)
    slots = range(0, n, n // 5000)
    images = {(multiplier * s + offset) % n for s in slots}
    assert len(images) == len(slots)
    assert len({identity_of(3, r, n, 2, {"train": 1.0}) for r in range(16)}) == 16


def test_splits_follow_their_ratios_over_the_whole_order() -> None:
    ratios = {"train": 0.6, "val": 0.2, "test": 0.2}
    order = [identity_of(11, r, 500, 1, ratios) for r in range(500)]
    splits = [assign_split(11, f"identity:{i}", ratios) for i in order]
    for start in range(0, 500, 50):  # every window of 50 renders is near the ratios
        window = Counter(splits[start : start + 50])
        assert all(abs(window[name] / 50 - share) < 0.12 for name, share in ratios.items()), window
