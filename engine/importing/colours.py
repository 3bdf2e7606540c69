"""A RAG cell that says its rating by its colour alone: the fill, read as a rating.

Councils often shade a RAG cell and leave it empty. The shade is read by its hue, so
that every red, amber (orange or yellow), green and blue a template uses is read the
same way; a pale or dark shade with little colour is grey; white and black say
nothing. Hue bands, in degrees: red below 20 or from 330, amber 20 to 65, green 65 to
170, blue 170 to 260; anything else (purple, pink) is no rating.
"""

from __future__ import annotations

import colorsys
import re

_HEX = re.compile(r"^[0-9a-fA-F]{6}$")


def rating_of_fill(colour: str | None) -> str | None:
    """The rating word a fill colour ("FF0000", "00FFC000" with alpha) shows, or None."""
    if not colour:
        return None
    hex6 = colour[-6:]
    if not _HEX.match(hex6):
        return None
    red, green, blue = (int(hex6[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    if lightness > 0.93 or lightness < 0.08:
        return None  # white or black: no shade at all
    if saturation < 0.15:
        return "Grey"
    degrees = hue * 360
    if degrees < 20 or degrees >= 330:
        return "Red"
    if degrees < 65:
        return "Amber"
    if degrees < 170:
        return "Green"
    if degrees < 260:
        return "Blue"
    return None
