"""The sensor and lens columns of a dataset row (docs/dataset-format.md "Sensor and lens parameters").

Null where the job's camera model (``camera_model:``) or the effect is off. The spec's ``camera_model`` holds the
sampled parameters; the worker reports what it measured (the meter's correction, the focus distance).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from synthgen.dataset.columns import Column, list_of, scalar_column, value

CAMERA_MODEL_COLUMNS: tuple[Column, ...] = (
    Column("lens_distortion", pa.list_(pa.float32()), list_of(value("float32"))),
    scalar_column("exposure_ev", pa.float32(), "float32"),
    scalar_column("metered_ev", pa.float32(), "float32"),
    scalar_column("f_number", pa.float32(), "float32"),
    scalar_column("focus_distance_m", pa.float32(), "float32"),
    scalar_column("shutter_s", pa.float32(), "float32"),
    Column("subject_velocity_mps", pa.list_(pa.float32()), list_of(value("float32"))),
    Column("wb_gains", pa.list_(pa.float32()), list_of(value("float32"))),
    Column("rgb_noise", pa.list_(pa.float32()), list_of(value("float32"))),
    scalar_column("nir_band_nm", pa.int32(), "int32"),
    scalar_column("nir_gain_stops", pa.float32(), "float32"),
    scalar_column("nir_vignetting", pa.float32(), "float32"),
    scalar_column("nir_hotspot", pa.float32(), "float32"),
    Column("nir_noise", pa.list_(pa.float32()), list_of(value("float32"))),
)


def camera_model_row_values(
    spec: dict[str, Any], lens_distortion: list[float] | None, measured: dict[str, Any]
) -> dict[str, Any]:
    """The columns of one row from the spec's camera model, the applied distortion and the worker's measurements
    (``metered_ev``, ``exposure_ev``, ``focus_distance_m``)."""
    model = spec.get("camera_model") or {}
    blur, dof, rgb = model.get("motion_blur"), model.get("depth_of_field"), model.get("rgb_sensor")
    nir = model.get("nir_sensor") if spec.get("nir", {}).get("enabled") else None
    return {
        "lens_distortion": lens_distortion,
        "exposure_ev": measured.get("exposure_ev"),
        "metered_ev": measured.get("metered_ev"),
        "f_number": dof["f_number"] if dof else None,
        "focus_distance_m": measured.get("focus_distance_m") if dof else None,
        "shutter_s": blur["shutter_s"] if blur else None,
        "subject_velocity_mps": blur["velocity_mps"] if blur else None,
        "wb_gains": rgb["wb_gains"] if rgb else None,
        "rgb_noise": [rgb["shot_noise"], rgb["read_noise"]] if rgb else None,
        "nir_band_nm": nir["band_nm"] if nir else None,
        "nir_gain_stops": nir["gain_stops"] if nir else None,
        "nir_vignetting": nir["vignetting"] if nir else None,
        "nir_hotspot": nir["hotspot"] if nir else None,
        "nir_noise": [nir["shot_noise"], nir["read_noise"]] if nir else None,
    }
