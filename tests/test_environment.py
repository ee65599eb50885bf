"""Hand environments and mixed jobs, the pure parts: seeded sampling, room lights, shares (no Blender)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from synthgen.config import load_config, part_configs
from synthgen.errors import UsageError
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.hands.environment import ENVIRONMENTS, OCCLUDER_INSTANCE_ID
from synthgen.scenes.mix import BLOCK, block_quotas, part_counts, part_of
from synthgen.scenes.registry import scene_kind

ROOMS_ONLY = {"scene.environment.settings": {"office": 1, "shop": 1, "kitchen": 1, "outdoor": 1}}


def test_environments_are_seeded_and_leave_the_other_draws_alone() -> None:
    rooms = load_config("hands", overrides=ROOMS_ONLY)
    plain = load_config("hands", overrides={"scene.environment.settings": {"plain": 1}})
    for index in range(12):
        spec, again, bare = sample_spec(rooms, index), sample_spec(rooms, index), sample_spec(plain, index)
        assert spec == again
        for key in ("identity", "variation", "hand", "camera", "sleeve"):  # own stream: nothing else moves
            assert spec[key] == bare[key]
        assert bare["environment"]["name"] == "plain" and not bare["environment"]["clutter"]
        assert spec["environment"]["name"] in ENVIRONMENTS[1:]


def test_rooms_are_lit_like_rooms() -> None:
    """Offices: ceiling panels (area lights above the hand) and a bounce from below; kitchens: pendant bulbs;
    outdoors: the sky and its sun; never more lights than the stage has."""
    config = load_config("hands", overrides=ROOMS_ONLY)
    by_setting: dict[str, list[dict]] = {}
    for index in range(120):
        spec = sample_spec(config, index)
        by_setting.setdefault(spec["environment"]["name"], []).append(spec)
    assert set(by_setting) == {"office", "shop", "kitchen", "outdoor"}
    for name, specs in by_setting.items():
        for spec in specs:
            lights = spec["lighting"]["lights"]
            assert 1 <= len(lights) <= 6
            assert any(light["location"][2] < 0 for light in lights), f"{name}: no bounce from below"
            sky = spec["lighting"]["world"]["sky"]["enabled"]
            assert sky == (name == "outdoor")
            if name == "office":
                assert any(light["type"] == "AREA" and light["location"][2] > 1.0 for light in lights)
            if name == "kitchen":
                assert any(light["type"] == "POINT" for light in lights)
            if name != "outdoor":
                assert spec["background"]["type"] == "backdrop"  # a wall or a desk, never a bare world


def test_clutter_and_occluders_follow_the_config() -> None:
    config = load_config(
        "hands", overrides={**ROOMS_ONLY, "scene.environment.clutter": [3, 5], "scene.environment.occluder_share": 0.5}
    )
    kind = scene_kind("hands")
    occluded = 0
    for index in range(80):
        spec = sample_spec(config, index)
        environment = spec["environment"]
        if environment["name"] != "outdoor" or spec["background"]["type"] == "backdrop":
            assert 3 <= len(environment["clutter"]) <= 5
        assert environment["table"] is not None  # an orbiting camera sees a table top below the hand
        if environment["occluder"] is not None:
            occluded += 1
            assert kind.instance_classes(spec)[OCCLUDER_INSTANCE_ID] == "occluder"
    assert 25 <= occluded <= 55
    palm = load_config("palm-scanner")
    for index in range(30):  # a palm scanner: nothing in front of the palm, clutter on the desk below
        environment = sample_spec(palm, index)["environment"]
        assert environment["occluder"] is None and environment["table"] is None


def test_mix_parts_get_their_shares_whatever_the_job_length() -> None:
    shares = (("a", 0.35), ("b", 0.25), ("c", 0.2), ("d", 0.2))
    assert block_quotas(shares) == (35, 25, 20, 20)
    assert block_quotas((("x", 1.0), ("y", 1e-6))) == (99, 1)  # every part renders
    parts = [part_of(7, shares, index) for index in range(3 * BLOCK + 40)]
    assert parts[:150] == [part_of(7, shares, index) for index in range(150)]  # pure in (seed, index)
    for name, _ in shares:  # each part's renders are its own job's renders 0, 1, 2, ...
        assert [i for n, i in parts if n == name] == list(range(sum(1 for n, _ in parts if n == name)))
    assert part_counts(7, shares, 300) == {"a": 105, "b": 75, "c": 60, "d": 60}
    assert part_counts(7, shares, 24) == dict(Counter(name for name, _ in parts[:24]))
    first = Counter(name for name, _ in parts[:12])
    assert set(first) == {"a", "b", "c", "d"}  # a short run holds every part
    assert part_of(7, shares, 5) != part_of(8, shares, 5) or part_of(7, shares, 6) != part_of(8, shares, 6)


def test_the_quickstart_mixes_what_synthgen_is_for() -> None:
    config = load_config("quickstart")
    parts = part_configs(config)
    assert list(parts) == ["palm-scanner", "hands", "shelf", "hand-held"]
    assert parts["palm-scanner"].scene.nir.enabled and parts["palm-scanner"].scene.camera.mode == "palm"
    specs = [sample_spec(config, index) for index in range(config.num_renders)]
    seen = Counter((spec["mix"]["part"], spec["kind"]) for spec in specs)
    assert {part for part, _ in seen} == set(parts)
    assert any(spec.get("attack_type") for spec in specs if spec["mix"]["part"] == "palm-scanner")
    assert any("'defect': {" in str(spec) for spec in specs if spec["mix"]["part"] == "shelf")
    assert {spec["kind"] for spec in specs if spec["mix"]["part"] == "hand-held"} == {"hand_with_product"}
    assert {spec["layout"] for spec in specs if spec["mix"]["part"] == "shelf"} == {"shelf"}
    # A part is its own job: the palm-scanner part's identities come in the palm-scanner order.
    palm = parts["palm-scanner"]
    for spec in specs:
        if spec["mix"]["part"] == "palm-scanner":
            alone = scene_kind("hands").sample(palm, spec["mix"]["part_index"], np.random.default_rng(0))
            assert spec["identity_id"] == alone["identity_id"]
            assert spec["attack_type"] == alone["attack_type"]


def test_a_bad_part_names_its_field() -> None:
    with pytest.raises(UsageError, match=r"scene\.parts\.hands\.scene\.pose_families"):
        load_config("quickstart", overrides={"scene.parts.hands.scene.pose_families": {"wave": 1}})
    with pytest.raises(UsageError, match=r"scene\.parts\.palm-scanner: its share of the renders"):
        load_config("quickstart", overrides={"num_renders": 5000})
