"""QR codes (segno) as inline SVG data URIs: printable in PDFs and pages without files or network."""

from __future__ import annotations

import segno


def qr_svg_data_uri(text: str, *, scale: int = 4) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=scale, border=1)
