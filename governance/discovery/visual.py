"""Perceptual hashing of preview images: dHash over pixels, and pixels from a blurhash.

CivitAI publishes a blurhash with every preview image; the catalog keeps it (the pictures
themselves are only URLs). Decoding it gives a deterministic low-frequency rendering of the
preview, which is all a perceptual hash looks at anyway — so every imported model is
searchable by look without fetching anything. A stored preview file is hashed from its pixels.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, UnidentifiedImageError

from governance.errors import ValidationFailed

_B83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_B83_INDEX = {c: i for i, c in enumerate(_B83)}
#: Uploads larger than this are refused before decoding (decompression bombs).
MAX_IMAGE_PIXELS = 40_000_000


def _decode83(text: str) -> int:
    value = 0
    for char in text:
        if char not in _B83_INDEX:
            raise ValueError(f"invalid blurhash character {char!r}")
        value = value * 83 + _B83_INDEX[char]
    return value


def _srgb_to_linear(value: int) -> float:
    v = value / 255.0
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(value: np.ndarray) -> np.ndarray:
    v = np.clip(value, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055) * 255.0


def blurhash_pixels(blurhash: str, width: int = 32, height: int = 32) -> np.ndarray:
    """Decode a blurhash (https://blurha.sh, the reference algorithm) to RGB float pixels."""
    if len(blurhash) < 6:
        raise ValueError("blurhash too short")
    size = _decode83(blurhash[0])
    nx, ny = size % 9 + 1, size // 9 + 1
    if len(blurhash) != 4 + 2 * nx * ny:
        # Some hubs truncate the AC components (a 4x4 flag with 4x3 components); decode the
        # rows that are there rather than drop the preview.
        present = (len(blurhash) - 4) // 2
        if len(blurhash) % 2 or present < nx or present % nx:
            raise ValueError("blurhash length does not match its component count")
        ny = present // nx
    max_ac = (_decode83(blurhash[1]) + 1) / 166.0
    dc = _decode83(blurhash[2:6])
    colors = [
        (_srgb_to_linear(dc >> 16), _srgb_to_linear((dc >> 8) & 255), _srgb_to_linear(dc & 255))
    ]
    for i in range(1, nx * ny):
        value = _decode83(blurhash[4 + i * 2 : 6 + i * 2])
        quant = (value // (19 * 19), (value // 19) % 19, value % 19)
        colors.append(
            tuple(math.copysign(((q - 9) / 9.0) ** 2, q - 9) * max_ac for q in quant)  # type: ignore[misc]
        )
    ys = np.arange(height)[:, None]
    xs = np.arange(width)[None, :]
    pixels = np.zeros((height, width, 3))
    for j in range(ny):
        for i in range(nx):
            basis = np.cos(np.pi * i * xs / width) * np.cos(np.pi * j * ys / height)
            pixels += basis[..., None] * np.array(colors[j * nx + i])
    return _linear_to_srgb(pixels)


def dhash_of_pixels(rgb: np.ndarray) -> int:
    """64-bit difference hash of an RGB array (rows of grey 9x8 gradients)."""
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    return _dhash(image)


def _dhash(image: Image.Image) -> int:
    grey = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    bits = (grey[:, 1:] > grey[:, :-1]).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def dhash_of_blurhash(blurhash: str) -> int:
    return dhash_of_pixels(blurhash_pixels(blurhash))


def dhash_of_upload(data: bytes) -> int:
    """dHash of an uploaded image (PNG, JPEG, WebP, GIF…), refusing what is not a picture."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationFailed(
                    "The image is too large.", errors={"image": ["More than 40 megapixels."]}
                )
            image.draft("RGB", (64, 64))  # JPEG: decode at a small scale only
            return _dhash(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(
            "The upload is not an image Hubgate can read.", errors={"image": [str(exc)]}
        ) from exc


def to_signed(value: int) -> int:
    """A 64-bit unsigned hash as the signed integer a BIGINT column holds."""
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()
