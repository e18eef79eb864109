"""Report branding: colours white text can sit on, small PNG or SVG logos and nothing risky."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reports.branding import (
    DEFAULT_COLOUR,
    MAX_LOGO_BYTES,
    BrandingError,
    branding_for,
    clean_colour,
    clean_logo,
    contrast_ratio,
)


def png(width: int = 40, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#336699").save(buffer, format="PNG")
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#123"/></svg>'


def test_contrast_follows_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#1d70b8", "#ffffff") == pytest.approx(5.17, abs=0.01)


@pytest.mark.parametrize(("text", "colour"), [("#1D70B8", "#1d70b8"), (" 1d70b8 ", "#1d70b8"), ("#036", "#003366")])
def test_a_dark_enough_hex_colour_is_accepted_in_one_spelling(text, colour):
    assert clean_colour(text) == colour


@pytest.mark.parametrize("text", ["blue", "#12345", "#gggggg", "rgb(0,0,0)", "#1d70b8; background: url(x)"])
def test_anything_but_a_hex_colour_is_refused(text):
    with pytest.raises(BrandingError, match="hex code"):
        clean_colour(text)


def test_a_colour_too_light_for_white_text_is_refused_with_its_contrast():
    with pytest.raises(BrandingError, match=r"contrast of 1\.\d to 1"):
        clean_colour("#ffdd00")


def test_png_and_svg_logos_are_accepted_with_their_type():
    assert clean_logo(png()) == (png(), "image/png")
    assert clean_logo(SVG) == (SVG, "image/svg+xml")


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b"GIF89a....", "PNG or an SVG"),
    (b"\x89PNG\r\n\x1a\nbroken", "not a valid PNG"),
    (b"x" * (MAX_LOGO_BYTES + 1), "smaller than"),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"/>',
     "DOCTYPE"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "scripts"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
     b'<image x:href="file:///etc/passwd"/></svg>', "link to other files"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(http://example.org/a.css);</style></svg>',
     "link to other files"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(http://example.org/x)"/></svg>',
     "link to other files"),
    (b"<html><body>not svg</body></html>", "PNG or an SVG"),
])
def test_bad_or_risky_logos_are_refused_with_a_reason(raw, reason):
    with pytest.raises(BrandingError, match=reason):
        clean_logo(raw)


def test_a_huge_png_is_refused():
    with pytest.raises(BrandingError, match="pixels"):
        clean_logo(png(3000, 10))


def test_stored_branding_becomes_a_data_url_and_an_unchecked_colour_falls_back():
    branding = branding_for("#003366", SVG, "image/svg+xml")
    assert branding.colour == "#003366" and branding.logo.startswith("data:image/svg+xml;base64,")
    assert branding_for("red;}", None, None).colour == DEFAULT_COLOUR
    assert branding_for(None, b"x", "text/html").logo is None
