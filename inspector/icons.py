"""The app's icons for the home screen, drawn with Pillow: a white clipboard with a check mark on the brand blue.

Drawn once per size and process, four times larger and scaled down for smooth edges, kept in 64 colours. A ``maskable``
icon fills its square (the phone cuts its own shape) and keeps the drawing inside the central 80 %.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw

BRAND = (11, 83, 148)  # --brand in static/style.css
WHITE = (255, 255, 255)
SIZES = (48, 192, 512)
MANIFEST_SIZES = (192, 512)  # for the home screen; 48 px is the pages' own icon, fetched with the first page
_OVERSAMPLE = 4


@lru_cache(maxsize=8)
def png(size: int, maskable: bool = False) -> bytes:
    """The icon as PNG bytes, ``size`` pixels square."""
    if size not in SIZES:
        raise ValueError(f"no icon of {size} px")
    big = size * _OVERSAMPLE
    image = Image.new("RGBA", (big, big), BRAND + (255,) if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if not maskable:  # a rounded square of its own
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BRAND)
    unit = big * (0.8 if maskable else 1.0) / 100  # the drawing's grid: 100 units across the safe zone
    left = (big - 100 * unit) / 2

    def box(x0, y0, x1, y1):
        return (left + x0 * unit, left + y0 * unit, left + x1 * unit, left + y1 * unit)

    draw.rounded_rectangle(box(24, 20, 76, 84), radius=6 * unit, fill=WHITE)  # the board
    draw.rounded_rectangle(box(38, 14, 62, 26), radius=4 * unit, fill=WHITE, outline=BRAND, width=int(3 * unit))
    check = [(left + x * unit, left + y * unit) for x, y in ((35, 53), (46, 64), (66, 41))]
    draw.line(check, fill=BRAND, width=int(8 * unit), joint="curve")
    image = _few_colours(image.resize((size, size), Image.Resampling.LANCZOS))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _few_colours(image: Image.Image) -> Image.Image:
    """The icon with a palette of 64 colours (about 1.7 kB instead of 7.5 kB at 192 px: the browser fetches it
    with the first page, over slow 3G too); the brand blue and white stay exact, the edges blend."""
    palette_image = image.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    palette = palette_image.getpalette("RGBA")
    for i in range(0, len(palette), 4):
        for pure in (BRAND, WHITE):
            if max(abs(a - b) for a, b in zip(palette[i:i + 4], pure + (255,))) <= 4:
                palette[i:i + 4] = pure + (255,)
    palette_image.putpalette(palette, "RGBA")
    return palette_image
