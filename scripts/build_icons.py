"""Draws the field app's icons (static/icons/*.png, committed): a white house with a flame on the
brand's red, with Pillow. Run again only to change them: `python scripts/build_icons.py`."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "static" / "icons"
RED, WHITE, FLAME = (176, 42, 55), (255, 255, 255), (253, 126, 20)


def draw(size: int, *, maskable: bool = False, rounded: bool = True) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable or not rounded:
        d.rectangle((0, 0, s, s), fill=RED)
    else:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=RED)
    # the safe zone of a maskable icon is the inner 80% circle: draw smaller there
    k = 0.62 if maskable else 0.78
    u = s * k / 10  # one unit of a 10 x 10 drawing, centred
    ox = oy = (s - 10 * u) / 2

    def p(x: float, y: float) -> tuple[float, float]:
        return ox + x * u, oy + y * u

    d.polygon(
        [p(5, 0.6), p(9.8, 4.6), p(8.6, 4.6), p(8.6, 9.6), p(1.4, 9.6), p(1.4, 4.6), p(0.2, 4.6)], fill=WHITE
    )
    # the flame in the doorway
    d.polygon([p(5, 4.2), p(6.6, 6.6), p(6.4, 8.2), p(5, 9.1), p(3.6, 8.2), p(3.4, 6.6)], fill=FLAME)
    d.ellipse((*p(4.2, 7.0), *p(5.8, 8.8)), fill=(255, 193, 7))
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192).save(OUT / "icon-192.png", optimize=True)
    draw(512).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    draw(180, rounded=False).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
