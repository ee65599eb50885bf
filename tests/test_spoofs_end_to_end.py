"""Presentation attacks end to end: a small palm-scanner dataset (real Blender, 64x64) with every attack type,
checked in RGB and NIR against live samples of the same identities."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pyarrow.dataset as pads
import pytest

from synthgen.dataset.image_codec import decode_image
from synthgen.pipeline.render_pool import RenderPool
from tests.conftest import run_cli

pytestmark = pytest.mark.blender

# 12 renders of 2 identities at live_share 0.5: 6 live samples and 6 attacks covering every type (attack types follow
# a seeded golden-ratio sequence over render indices, so the shares are exact; checked below).
CONFIG = """preset: palm-scanner
seed: 119
resolution: 64
workers: 1
render: {spp: 4, denoise: false, batch_size: 4}
scene:
  type: hands
  identities: 2
  samples_per_identity: 6
  attacks: {live_share: 0.5, source_resolution: 64, source_spp: 4}
dataset: {renders_per_shard: 12}
"""


@pytest.fixture(scope="module")
def spoof_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spoofs")
    (folder / "spoofs.yaml").write_text(CONFIG)
    result = run_cli("render", "--config", str(folder / "spoofs.yaml"), "--out", str(folder / "out"), "--no-progress")
    assert result.returncode == 0, result.stderr
    return folder / "out"


def _rows(dataset: Path) -> list[dict]:
    return pads.dataset(str(dataset / "data"), format="parquet").to_table().to_pylist()


def _nir_in_mask(row: dict) -> float:
    return float(decode_image(row["nir"]["bytes"])[decode_image(row["mask"]["bytes"]) == 1].mean())


def test_every_attack_type_appears_with_its_labels(spoof_dataset: Path) -> None:
    assert run_cli("validate", str(spoof_dataset)).returncode == 0
    rows = _rows(spoof_dataset)
    attacks = {r["attack_type"]: r for r in rows if not r["is_live"]}
    assert set(attacks) == {"print", "screen", "silicone", "cutout"}
    classes = {"print": "print", "screen": "screen", "silicone": "silicone_hand", "cutout": "cutout"}
    for name, row in attacks.items():
        params = json.loads(row["attack_params"])
        spec = json.loads(row["spec"])
        assert spec["attack_params"] == {k: v for k, v in params.items() if k != "source_image_sha256"}
        assert row["instances"][0]["class"] == classes[name] and row["bbox"] is not None
        assert row["identity_id"] == spec["identity_id"] and len(row["keypoints_2d"]) == 21
        mask = decode_image(row["mask"]["bytes"]) == 1
        grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        visible = [(u, v) for (u, v), seen in zip(row["keypoints_2d"], row["keypoints_visible"], strict=True) if seen]
        assert len(visible) >= 5, name  # the depicted palm's keypoints lie on the instrument
        for u, v in visible:
            assert grown[int(v), int(u)], (name, u, v)
    for row in rows:
        if row["is_live"]:
            assert row["attack_type"] is None and row["attack_params"] is None
    # Attacks sit beside their victim's live samples, in the same split.
    for row in attacks.values():
        group = [r for r in rows if r["identity_id"] == row["identity_id"]]
        assert any(r["is_live"] for r in group) and len({r["split"] for r in group}) == 1


def test_a_screen_is_dark_in_near_infrared(spoof_dataset: Path) -> None:
    rows = _rows(spoof_dataset)
    screen = next(r for r in rows if r["attack_type"] == "screen")
    live = [_nir_in_mask(r) for r in rows if r["is_live"] and r["identity_id"] == screen["identity_id"]]
    assert _nir_in_mask(screen) < 0.35 * min(live)


def _high_pass(image: np.ndarray) -> np.ndarray:
    image = image.astype(np.float32)
    return image - cv2.GaussianBlur(image, (0, 0), 3.0)


def _pattern_amount(image: np.ndarray, pattern: np.ndarray, where: np.ndarray) -> float:
    """Least-squares amount of ``pattern`` in ``image`` (1: all of it, 0: none) over ``where``."""
    a, b = image[where], pattern[where]
    return float((a * b).sum() / (b * b).sum())


def test_silicone_shows_no_veins_in_near_infrared(spoof_dataset: Path) -> None:
    """The silicone sample against live twins (same spec: identity, rigid pose, camera, light, Cycles seed) with
    skin, with and without veins. Their difference is the vein pattern: the live NIR carries it, the replica not."""
    silicone = json.loads(next(r for r in _rows(spoof_dataset) if r["attack_type"] == "silicone")["spec"])
    silicone["render"] |= {"resolution": [96, 96], "spp": 16}
    silicone["nir"]["spp"] = 16
    silicone["camera"]["fill"] = 1.5  # the palm fills the frame
    live = silicone | {"render_index": 1000, "is_live": True, "attack_type": None, "attack_params": None}
    veinless = live | {"render_index": 1001, "identity": json.loads(json.dumps(live["identity"]))}
    veinless["identity"]["veins"]["contrast"] = 0.0
    with RenderPool(
        workers=1, threads_per_worker=2, batch_size=3, timeout_s=300, retries=0, max_renders_per_worker=9
    ) as pool:
        nir = {
            r.spec["render_index"]: r.output["nir"].astype(np.float32) for r in pool.render([silicone, live, veinless])
        }
        masks = {r.spec["render_index"]: r.output["object_index"] == 1 for r in pool.render([live])}
    veins = nir[1000] - nir[1001]
    palm = cv2.erode(masks[1000].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert np.abs(veins[palm]).max() > 8, "the live twin shows veins in NIR"
    pattern = _high_pass(veins)
    live_amount = _pattern_amount(_high_pass(nir[1000]), pattern, palm)
    replica_amount = _pattern_amount(_high_pass(nir[silicone["render_index"]]), pattern, palm)
    assert live_amount > 0.7 and abs(replica_amount) < 0.3, (live_amount, replica_amount)


def test_a_print_shows_a_render_of_its_own_victim(spoof_dataset: Path) -> None:
    rows = _rows(spoof_dataset)
    shown = [r for r in rows if r["attack_type"] in ("print", "cutout")]
    params = [json.loads(r["attack_params"]) for r in shown]
    for row, p in zip(shown, params, strict=True):
        assert p["source"]["identity_id"] == row["identity_id"]
    with RenderPool(
        workers=1, threads_per_worker=2, batch_size=4, timeout_s=300, retries=0, max_renders_per_worker=50
    ) as pool:
        results = {r.spec["render_index"]: r.output for r in pool.render([p["source"] for p in params])}
    for p in params:
        output = results[p["source"]["render_index"]]
        used = output["nir"] if p["from_nir"] else output["image"]
        assert hashlib.sha256(np.ascontiguousarray(used).tobytes()).hexdigest() == p["source_image_sha256"]
