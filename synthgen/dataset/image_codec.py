"""Encoding and decoding of the image-like columns (RGB uint8, masks uint8, depth uint16).

Two codecs, both read by every image library (OpenCV, Pillow and so Hugging Face ``datasets``):

- ``pnm``: binary PPM (RGB) / PGM (grey, 8 or 16 bit): the pixels with a short header. Parquet's zstd then
  compresses the column, so files are about 1.4x the PNG size, and decoding is a copy: training reads it many
  times faster than PNG (``synthgen bench``, loading).
- ``png``: the smallest files, but decoding (zlib inflate and unfiltering) dominates a training job's loading time.
"""

from __future__ import annotations

from typing import Any, Literal

import cv2
import numpy as np

ImageCodec = Literal["pnm", "png"]
PNG_COMPRESSION = 3  # zlib level: a good size/speed balance for renders


def encode_image(array: np.ndarray, codec: ImageCodec = "png") -> bytes:
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    if codec == "png":
        ok, buffer = cv2.imencode(".png", array, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    elif codec == "pnm":
        ok, buffer = cv2.imencode(".ppm" if array.ndim == 3 else ".pgm", array)
    else:
        raise ValueError(f"image codec: unknown codec {codec!r} (choose png or pnm)")
    if not ok:
        raise ValueError(f"cannot encode an array of shape {array.shape} and dtype {array.dtype} as {codec}")
    return buffer.tobytes()


def decode_image(data: bytes) -> np.ndarray:
    """PNG or PNM bytes to an array: RGB (H, W, 3) uint8, or (H, W) uint8 / uint16 as stored."""
    array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ValueError("not a PNG or PNM image")
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_BGR2RGB)
    return array


def image_cell(array: np.ndarray, codec: ImageCodec) -> dict[str, Any]:
    """An encoded image as a dataset cell: the ``{"bytes", "path"}`` struct of a Hugging Face ``Image``."""
    return {"bytes": encode_image(array, codec), "path": None}
