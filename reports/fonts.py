"""The Chinese font of the PDF reports, found on a machine with only Python.

WenQuanYi Micro Hei (文泉驿微米黑, Apache 2.0 / GPLv3 with the font exception: embedding in a
document is allowed) comes from the `paperang-p2-fonts-cjk` wheel on PyPI: a TrueType collection
whose outlines reportlab can embed, as a subset of the glyphs used (a report is ~100 KB, not 5 MB).
The wheel's file is byte for byte Debian's `fonts-wqy-microhei` 0.2.0-beta-3.1
(sha256 2420e807…09b3). Noto Sans SC on PyPI is CFF-flavoured OpenType, which reportlab cannot
embed. Without the wheel, Debian's copy is used if installed; as a last resort reportlab's
built-in CID font STSong-Light (not embedded: the viewer supplies the glyphs)."""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

logger = logging.getLogger(__name__)

FONT_NAME = "WQYMicroHei"
FALLBACK = "STSong-Light"
DEBIAN_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _candidates() -> list[Path]:
    out = []
    spec = importlib.util.find_spec("paperang_p2_fonts_cjk")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            out.append(Path(location) / "fonts" / "wqy-microhei.ttc")
    out.append(DEBIAN_PATH)
    return out


@functools.cache
def chinese_font() -> str:
    """Register the font once per process and return its name for reportlab."""
    for path in _candidates():
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            return FONT_NAME
    logger.warning("no embeddable Chinese font found: the PDF reports use STSong-Light (not embedded)")
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK
