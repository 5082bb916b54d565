"""Printable official forms as PDF (WeasyPrint; Chinese in Noto Sans CJK SC).

WeasyPrint costs about half a second to import, so it is imported here, when a PDF is made, never at
start-up. Templates extend ``pdf/base.html`` (A4, page numbers "第 X 页 / 共 Y 页").
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone


def _fetcher():
    """A fetcher that serves /static/… from the finders (no web server in a worker) and data: URIs, and
    refuses the network: deployments are intranets and PDFs must not depend on outside resources."""
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = url.split(settings.STATIC_URL, 1)[1] if settings.STATIC_URL in url else None
            found = finders.find(path) if path else None
            if not found:
                raise ValueError(f"resource refused in PDF (only static files and data URIs): {url}")
            return super().fetch(f"file://{found}", headers)

    return StaticOnlyFetcher(allowed_protocols=("data", "file"))


def render_pdf(template: str, context: dict, request=None) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {"generated_at": timezone.localtime(), **context}, request=request)
    return HTML(string=html, base_url="file:///", url_fetcher=_fetcher()).write_pdf()


def pdf_response(template: str, context: dict, *, filename: str, request=None, inline: bool = True) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(render_pdf(template, context, request=request), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response
