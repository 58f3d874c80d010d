"""PDF and QR rendering shared by every app that prints (agreements, minutes, reports).

WeasyPrint lays out an HTML template; the CJK font comes from fontconfig (fonts-noto-cjk in CI
and the Docker image; `alliance.W001` warns where it is missing) and HarfBuzz's subsetting
library keeps the embedded font small and the rendering fast (`alliance.W002`).
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

# The font stack every printed page uses; Noto Sans CJK SC is what fonts-noto-cjk installs.
CJK_FONT_STACK = '"Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", sans-serif'


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """Render `template_name` (which extends templates/pdf/base.html) to PDF bytes."""
    from weasyprint import HTML  # imported late: loading pango costs ~0.3 s at start-up

    html = render_to_string(template_name, {"cjk_font_stack": CJK_FONT_STACK, **context}, request=request)
    base_url = request.build_absolute_uri("/") if request is not None else str(settings.BASE_DIR)
    return HTML(string=html, base_url=base_url).write_pdf()


def qr_svg(url: str, *, scale: int = 3) -> str:
    """An inline SVG QR code of `url`, safe to put into a template (pages and PDFs alike)."""
    qr = segno.make(url, error="m")
    return mark_safe(qr.svg_inline(scale=scale, border=2))  # noqa: S308 - segno's own SVG, no user markup
