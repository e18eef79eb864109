"""Organisation branding for reports: a colour and a logo, validated before they are stored.

Pure: no Flask, no database. The colour fills the report's cover behind white text, so it must
give white text a contrast of at least 4.5:1 (WCAG 2.2 AA). The logo is a small PNG or SVG; an
SVG may not carry scripts, entities or references to anything outside itself.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import xml.etree.ElementTree as ET  # noqa: S405 - DOCTYPE and entities are refused before parsing
from dataclasses import dataclass

from PIL import Image

DEFAULT_COLOUR = "#1d70b8"
MIN_CONTRAST = 4.5
MAX_LOGO_BYTES = 200_000
MAX_LOGO_PIXELS = 2_000
PNG = "image/png"
SVG = "image/svg+xml"
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
FORBIDDEN_SVG_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video"}


class BrandingError(ValueError):
    """A colour or logo that cannot be used, with a reason fit to show a person."""


@dataclass(frozen=True)
class Branding:
    """What a report shows of its organisation: the cover colour and the logo as a data URL."""

    colour: str = DEFAULT_COLOUR
    logo: str | None = None


DEFAULT_BRANDING = Branding()


def branding_for(colour: str | None, logo: bytes | None, logo_type: str | None) -> Branding:
    """The stored branding as a report uses it (the default colour when none is set)."""
    if colour is not None and not re.fullmatch(r"#[0-9a-f]{6}", colour):
        colour = None  # only ever a validated colour goes into the stylesheet
    data_url = None
    if logo and logo_type in (PNG, SVG):
        data_url = f"data:{logo_type};base64,{base64.b64encode(logo).decode('ascii')}"
    return Branding(colour=colour or DEFAULT_COLOUR, logo=data_url)


# Colour -----------------------------------------------------------------------------------------


def clean_colour(text: str) -> str:
    """A colour as ``#rrggbb`` (lower case), or BrandingError when it is not one or when white
    text on it would be hard to read."""
    match = HEX_COLOUR.match(text.strip())
    if match is None:
        raise BrandingError("Enter the colour as a hex code, like #1d70b8")
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(2 * digit for digit in digits)
    colour = f"#{digits}"
    ratio = contrast_ratio(colour, "#ffffff")
    if ratio < MIN_CONTRAST:
        raise BrandingError(
            f"White text on {colour} has a contrast of {ratio:.1f} to 1; choose a darker colour "
            f"(at least {MIN_CONTRAST:g} to 1)"
        )
    return colour


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# Logo -------------------------------------------------------------------------------------------


def clean_logo(raw: bytes) -> tuple[bytes, str]:
    """A logo's bytes and media type, or BrandingError: a PNG or an SVG of at most 200 KB."""
    if not raw:
        raise BrandingError("The selected file is empty")
    if len(raw) > MAX_LOGO_BYTES:
        raise BrandingError(f"The logo must be smaller than {MAX_LOGO_BYTES // 1000} KB")
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        _check_png(raw)
        return raw, PNG
    _check_svg(raw)
    return raw, SVG


def _check_png(raw: bytes) -> None:
    # The size the header claims, checked before Pillow reads it: Pillow refuses a claim of more
    # than about 179 million pixels (a "decompression bomb") with an error of its own.
    if raw[12:16] == b"IHDR" and len(raw) >= 24:
        width, height = struct.unpack(">II", raw[16:24])
        if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
            raise BrandingError(f"The logo must be at most {MAX_LOGO_PIXELS} pixels wide and high")
    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG":
                raise BrandingError("The logo must be a PNG or an SVG file")
            width, height = image.size
            image.verify()
    except Exception as error:  # Pillow raises many kinds on a malformed file (IndexError too)
        if isinstance(error, BrandingError):
            raise
        raise BrandingError("The logo is not a valid PNG file") from None
    if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        raise BrandingError(f"The logo must be at most {MAX_LOGO_PIXELS} pixels wide and high")


def _check_svg(raw: bytes) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BrandingError("The logo must be a PNG or an SVG file") from None
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise BrandingError("The SVG logo must not contain a DOCTYPE or entities")
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DOCTYPE, so no entity expansion
    except ET.ParseError:
        raise BrandingError("The logo must be a PNG or an SVG file") from None
    if root.tag != f"{SVG_NAMESPACE}svg":
        raise BrandingError("The logo must be a PNG or an SVG file")
    for element in root.iter():
        name = element.tag.split("}")[-1] if isinstance(element.tag, str) else ""
        if name in FORBIDDEN_SVG_TAGS:
            raise BrandingError(f"The SVG logo must not contain <{name}> elements")
        if name == "style" and _links_out(element.text or ""):
            raise BrandingError("The SVG logo must not link to other files")
        for attribute, value in element.attrib.items():
            local = attribute.split("}")[-1]
            if local.lower().startswith("on"):
                raise BrandingError("The SVG logo must not contain scripts")
            if local == "href" and not value.strip().startswith(("#", "data:image/png", "data:image/jpeg")):
                raise BrandingError("The SVG logo must not link to other files")
            if _links_out(value):
                raise BrandingError("The SVG logo must not link to other files")


def _links_out(css: str) -> bool:
    """Whether CSS text refers to anything but a fragment of the same SVG."""
    compact = css.replace(" ", "").lower()
    return "@import" in compact or any(not rest.lstrip("'\"").startswith("#") for rest in compact.split("url(")[1:])
