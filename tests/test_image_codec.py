"""Both image codecs round-trip every image-like column exactly, and Pillow (so Hugging Face) reads them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from synthgen.dataset.image_codec import decode_image, encode_image

ARRAYS = {
    "rgb": np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8),
    "mask": np.arange(35, dtype=np.uint8).reshape(5, 7),
    "depth": (np.arange(35, dtype=np.uint16).reshape(5, 7) * 1871),
}


@pytest.mark.parametrize("codec", ["png", "pnm"])
@pytest.mark.parametrize("kind", list(ARRAYS))
def test_round_trip_is_exact(codec: str, kind: str) -> None:
    array = ARRAYS[kind]
    decoded = decode_image(encode_image(array, codec))
    assert decoded.dtype == array.dtype
    np.testing.assert_array_equal(decoded, array)


@pytest.mark.parametrize("kind", list(ARRAYS))
def test_pillow_reads_pnm(kind: str) -> None:
    array = ARRAYS[kind]
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(encode_image(array, "pnm")))), array)


def test_unknown_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="jpeg"):
        encode_image(ARRAYS["mask"], "jpeg")  # type: ignore[arg-type]
