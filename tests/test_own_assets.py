"""The user's own assets (issue 17): a glTF product written by Blender, an HDRI, a backplate and a surface texture
made by examples/assets/make_assets.py, rendered end to end with the opt-in normals and part passes; bad asset
declarations refused before any work; a .blend's scripts never run; a changed asset stops a resume."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from synthgen.config import load_config
from synthgen.errors import UsageError
from synthgen.scenes.common.parts import PART_IDS
from tests.conftest import REPO, run_cli

# Seed 5: a hand holding the model, a textured table and a table in front of the backplate (3 renders).
OWN_ASSETS_CONFIG = """preset: products-smoke
seed: 5
num_renders: 3
resolution: 64
render: {spp: 4, denoise: false, batch_size: 3}
scene:
  type: products
  skus: 4
  layouts: {tabletop: 1.0, shelf: 0.0, conveyor: 0.0, hand: 1.0}
  products: [2, 3]
dataset: {renders_per_shard: 3, splits: {train: 1.0}}
assets:
  roots: [assets]
  models:
    - {path: assets/bottle.glb, class_name: green_bottle, defects: true}
  model_share: 1.0
  hdris:
    - {path: assets/studio.hdr, rotation_deg: [0, 360], exposure_ev: [-0.5, 0.5]}
  backplates: [assets/shelf_photo.jpg]
  backplate_share: 0.5
  textures: [assets/oak.png]
labels: {normals: true, parts: true}
"""


def _make_assets(folder: Path) -> None:
    script = REPO / "examples" / "assets" / "make_assets.py"
    subprocess.run([sys.executable, str(script), str(folder)], check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def own_assets_job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The job folder (config, assets/, dataset/) of a tiny own-assets render (64x64, 3 renders); read-only."""
    folder = tmp_path_factory.mktemp("own-assets")
    _make_assets(folder / "assets")
    (folder / "job.yaml").write_text(OWN_ASSETS_CONFIG)
    result = run_cli("render", "--config", str(folder / "job.yaml"), "--out", str(folder / "dataset"), "--no-progress")
    assert result.returncode == 0, result.stderr
    return folder


def _rows(dataset: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted((dataset / "data").glob("*/*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return sorted(rows, key=lambda r: r["render_index"])


def _image(cell: dict[str, Any]) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(cell["bytes"])))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_gltf_product_renders_labelled_in_tables_and_hands(own_assets_job: Path) -> None:
    rows = _rows(own_assets_job / "dataset")
    specs = [json.loads(r["spec"]) for r in rows]
    assert sorted(s["layout"] for s in specs) == ["hand", "tabletop", "tabletop"]
    for row, spec in zip(rows, specs, strict=True):
        model_sku = spec["skus"][str(spec["sku_id"])]
        assert row["product_class"] == "green_bottle" and model_sku["family"] == "model"
        assert model_sku["model"]["sha256"] == _sha256(own_assets_job / "assets" / "bottle.glb")
        products = [i for i in row["instances"] if i["class"] == "green_bottle"]
        assert products, row["instances"]
        if spec["layout"] == "hand":
            assert {i["class"] for i in row["instances"]} == {"hand", "green_bottle"}
        K = np.array(row["camera_K"])
        for instance in products:
            # The labelled pose puts the model's 3D box round its mask: the projected box holds the mask's box.
            corners = np.array(instance["box3d"])
            uv = corners[:, :2] / corners[:, 2:3] * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]
            x0, y0, x1, y1 = instance["bbox"]
            assert uv[:, 0].min() - 1 <= x0 and x1 <= uv[:, 0].max() + 1
            assert uv[:, 1].min() - 1 <= y0 and y1 <= uv[:, 1].max() + 1
            assert instance["visible_fraction"] > 0


def test_backgrounds_are_recorded_in_the_spec_and_the_manifest(own_assets_job: Path) -> None:
    assets = own_assets_job / "assets"
    specs = [json.loads(r["spec"]) for r in _rows(own_assets_job / "dataset")]
    for spec in specs:
        hdri = spec["user_backgrounds"]["hdri"]
        assert hdri["path"] == "assets/studio.hdr" and hdri["sha256"] == _sha256(assets / "studio.hdr")
        assert 0 <= hdri["rotation_deg"] <= 360 and -0.5 <= hdri["exposure_ev"] <= 0.5
    tables = [s["user_backgrounds"] for s in specs if s["layout"] == "tabletop"]
    assert sorted(bool(b["backplate"]) for b in tables) == [False, True]
    assert all(b["texture"]["sha256"] == _sha256(assets / "oak.png") for b in tables)
    manifest = json.loads((own_assets_job / "dataset" / "manifest.json").read_text())
    digests = manifest["config"]["assets"]["sha256"]
    assert digests["models[0]"] == _sha256(assets / "bottle.glb")
    assert digests["backplates[0]"] == _sha256(assets / "shelf_photo.jpg")


def test_the_backplate_shows_behind_the_products(own_assets_job: Path) -> None:
    """Where no object is, the table in front of the backplate shows the photo (shadow catcher), the textured
    table does not: the backplate render's background is far closer to the photo's colours."""
    rows = _rows(own_assets_job / "dataset")
    photo = np.asarray(Image.open(own_assets_job / "assets" / "shelf_photo.jpg").resize((64, 64))).astype(float)
    errors = {}
    for row in rows:
        spec = json.loads(row["spec"])
        if spec["layout"] != "tabletop":
            continue
        background = _image(row["mask"]) == 0
        image = _image(row["image"]).astype(float)
        errors[bool(spec["user_backgrounds"]["backplate"])] = np.abs(image - photo)[background].mean()
    assert errors[True] < 0.6 * errors[False], errors


def test_part_masks_name_the_parts_of_each_instance(own_assets_job: Path) -> None:
    product_parts = {PART_IDS[n] for n in ("product_body", "product_label", "product_cap")}
    hand_parts = {i for n, i in PART_IDS.items() if not n.startswith("product") and n != "none"}
    seen: set[int] = set()
    for row in _rows(own_assets_job / "dataset"):
        parts, mask = _image(row["part_mask"]), _image(row["mask"])
        assert parts.shape == mask.shape and not parts[mask == 0].any()
        classes = {i["id"]: i["class"] for i in row["instances"]}
        for instance_id, name in classes.items():
            ids = set(np.unique(parts[mask == instance_id]).tolist())
            if name == "hand":
                assert ids - {0} <= hand_parts and {PART_IDS["palm"]} <= ids, ids
                assert len(ids & {p for p in hand_parts if p >= 12}) >= 3, ids  # finger segments and nails
            else:
                assert (parts[mask == instance_id] > 0).all() and ids <= product_parts, ids
            seen |= ids
    assert {PART_IDS["product_body"], PART_IDS["product_label"], PART_IDS["product_cap"]} <= seen


def test_normals_face_the_camera_in_its_frame(own_assets_job: Path) -> None:
    """Camera-frame normals (OpenCV axes) of visible surfaces point back along the viewing ray."""
    for row in _rows(own_assets_job / "dataset"):
        encoded, mask = _image(row["normals"]), _image(row["mask"])
        normals = encoded.astype(float) / 127.5 - 1.0
        hit = mask > 0
        length = np.linalg.norm(normals[hit], axis=1)
        assert np.abs(length - 1.0).max() < 0.02
        height, width = mask.shape
        v, u = np.mgrid[0:height, 0:width] + 0.5
        rays = np.stack([u, v, np.ones_like(u)], axis=-1) @ np.linalg.inv(np.array(row["camera_K"])).T
        facing = (normals * rays).sum(axis=-1)[hit]
        assert (facing < 0).mean() > 0.95, (facing < 0).mean()


def test_a_changed_asset_stops_the_resume(own_assets_job: Path, tmp_path: Path) -> None:
    job = tmp_path / "job"
    shutil.copytree(own_assets_job, job)
    with (job / "assets" / "studio.hdr").open("ab") as fh:
        fh.write(b"\0")
    result = run_cli("render", "--config", str(job / "job.yaml"), "--out", str(job / "dataset"), "--no-progress")
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "assets.sha256.hdris[0] was" in message, message
    assert "--overwrite" in message


BAD_ASSETS = {
    "outside": ("models: [{path: ../outside.glb, class_name: x}]", "outside the declared assets.roots"),
    "missing": ("models: [{path: assets/nothing.glb, class_name: x}]", "is not a file"),
    "suffix": ("models: [{path: assets/oak.png, class_name: x}]", "must end in one of"),
    "corrupt": ("models: [{path: assets/broken.glb, class_name: x}]", "Blender cannot import it"),
    "hdri": ("hdris: [{path: assets/oak.png}]", "must end in one of .hdr, .exr"),
    "scale": ("models: [{path: assets/bottle.glb, class_name: x, scale: 0}]", "greater than 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_ASSETS))
def test_bad_assets_are_refused_before_any_work(case: str, tmp_path: Path) -> None:
    assets = tmp_path / "job" / "assets"
    assets.mkdir(parents=True)
    (tmp_path / "outside.glb").write_bytes(b"glTF")
    (assets / "oak.png").write_bytes(b"not really")
    (assets / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00garbage")
    if case == "scale":
        (assets / "bottle.glb").write_bytes(b"glTF")
    declaration, expected = BAD_ASSETS[case]
    config = tmp_path / "job" / "job.yaml"
    config.write_text(f"preset: products-smoke\nassets:\n  roots: [assets]\n  {declaration}\n")
    out = tmp_path / "out"
    result = run_cli("render", "--config", str(config), "--out", str(out), "--no-progress")
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and expected in message and "assets" in message, message
    assert not out.exists()


_EVIL_BLEND = r"""
import sys, bpy
out, marker = sys.argv[-2], sys.argv[-1]
bpy.ops.wm.read_factory_settings(use_empty=True)
payload = f"open({marker!r}, 'w').write('ran')"
text = bpy.data.texts.new("startup.py")  # a registered text block runs on load when auto-exec is on
text.write(payload)
text.use_module = True
bpy.ops.mesh.primitive_cube_add(size=0.1)
cube = bpy.context.object
driver = cube.driver_add("location", 2).driver  # a Python driver expression
driver.use_self = True
driver.expression = f"exec({payload!r}) or 0"
bpy.ops.wm.save_as_mainfile(filepath=out)
"""


def test_a_blend_file_never_runs_its_scripts(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    marker = tmp_path / "marker.txt"
    subprocess.run(
        [sys.executable, "-c", _EVIL_BLEND, str(assets / "evil.blend"), str(marker)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    marker.unlink(missing_ok=True)  # the file's author ran the payload while making it; now the file is ours
    config = tmp_path / "job.yaml"
    config.write_text("scene: {type: products}\nassets:\n  models: [{path: assets/evil.blend, class_name: cube}]\n")
    loaded = load_config(config_file=config, overrides={"out": str(tmp_path / "out")})  # Blender imports it here
    from synthgen.assets.model_probe import probe_model

    info = probe_model(loaded.assets.model_record(0))
    assert np.allclose(np.array(info["high"]) - np.array(info["low"]), 0.1, atol=1e-5)
    assert not marker.exists()


def test_assets_outside_the_roots_are_refused_in_the_api_too(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "hdr.hdr").write_bytes(b"#?RADIANCE\n")
    config = tmp_path / "job.yaml"
    config.write_text("assets:\n  roots: [inside]\n  hdris: [{path: inside/../hdr.hdr}]\n")
    with pytest.raises(UsageError, match=r"hdris.0.path: .*outside the declared assets.roots"):
        load_config(config_file=config)


def test_exports_name_the_model_class_and_write_its_bop_model(own_assets_job: Path, tmp_path: Path) -> None:
    dataset = own_assets_job / "dataset"
    assert run_cli("export", str(dataset), "--format", "coco", str(tmp_path / "coco"), "--no-progress").returncode == 0
    coco = json.loads((tmp_path / "coco" / "annotations" / "instances_train.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert "green_bottle" in {names[a["category_id"]] for a in coco["annotations"]}
    result = run_cli("export", str(dataset), "--format", "bop", str(tmp_path / "bop"), "--no-progress")
    assert result.returncode == 0, result.stderr
    info = json.loads((tmp_path / "bop" / "models" / "models_info.json").read_text())
    bottle = info["5"]  # SKU 4 (the catalogue's 4 SKUs, then the model) is BOP object 5
    assert bottle["size_z"] == pytest.approx(225.0, abs=0.5) and bottle["size_x"] == pytest.approx(65.0, abs=0.5)


def test_the_example_config_and_its_assets_load_from_the_repository() -> None:
    """examples/own-assets.yaml validates as shipped (every file inside its roots, every model imports) and its
    self-made assets stay small."""
    config = load_config(config_file=REPO / "examples" / "own-assets.yaml")
    assert {m.class_name for m in config.assets.models} == {"green_bottle", "tea_carton"}
    assert config.labels.normals and config.labels.parts
    files = [p for p in (REPO / "examples" / "assets").iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 300_000
    assert set(config.assets.sha256) == {"models[0]", "models[1]", "hdris[0]", "backplates[0]", "textures[0]"}


def test_an_eligible_model_carries_dents_with_exact_masks(own_assets_job: Path) -> None:
    dents = 0
    for row in _rows(own_assets_job / "dataset"):
        defect_mask, mask = _image(row["defect_mask"]), _image(row["mask"])
        for defect in row["defects"]:
            assert defect["type"] == "dent"
            region = defect_mask == defect["id"]
            assert (mask[region] == defect["instance"]).all()
            dents += defect["pixels"] > 0
    assert dents >= 1
