"""A self-contained HTML report: sections of text, tables and figures embedded as base64 images.

The page has no scripts and no external resources (no fonts, no CDN), so it opens offline,
in any browser, and can be mailed as one file.

Example::

    report = Report("classroom", subtitle="5 models on 11 classes")
    section = report.section("Model comparison")
    section.table([{"model": "DanQ", "accuracy": 0.99}], formats={"accuracy": "{:.3f}"})
    section.figure(fig, caption="Training curves")
    report.write("report.html")
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from motifnet.io.files import atomic_write

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
header{background:#1d3557;color:#fff;padding:22px 36px}
header h1{margin:0 0 4px 0;font-size:26px} header p{margin:2px 0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:8px 28px 40px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 22px;margin:18px 0}
h2{font-size:19px;margin:4px 0 10px;color:#1d3557}
h3{font-size:15px;margin:14px 0 6px}
p{line-height:1.45}
ul.conclusions li{margin:4px 0;line-height:1.4}
table{border-collapse:collapse;margin:8px 0;font-size:13px;display:block;overflow-x:auto;max-width:100%}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 10px;text-align:right}
th{background:#eef1f5} td:first-child,th:first-child{text-align:left}
tr.best td{font-weight:600;background:#f1f8e9}
figure{margin:10px 0;display:inline-block;vertical-align:top}
figure img{max-width:100%;border:1px solid #eceff3}
figcaption{font-size:12px;color:#555;max-width:560px}
.grid{display:flex;flex-wrap:wrap;gap:10px}
.note{font-size:12px;color:#666}
nav a{color:#fff;margin-right:14px;font-size:13px}
"""


def figure_bytes(fig: Any, fmt: str = "png", dpi: int = 100) -> bytes:
    """Render a matplotlib figure to PNG or SVG bytes and close it (frees pyplot's reference)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # noqa: BLE001 - a Figure not managed by pyplot
        pass
    return buffer.getvalue()


def image_tag(data: bytes, mime: str = "image/png", alt: str = "", width: int | None = None) -> str:
    """An ``<img>`` with the bytes embedded as a base64 data URI."""
    encoded = base64.b64encode(data).decode("ascii")
    size = f' style="width:{int(width)}px"' if width else ""
    return f'<img src="data:{mime};base64,{encoded}" alt="{html.escape(alt)}"{size}>'


def format_value(value: Any, fmt: str | None = None) -> str:
    """A table cell: numbers with ``fmt`` (default 3 significant decimals), None/NaN as '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if fmt:
        try:
            return fmt.format(value)
        except (ValueError, TypeError):
            return html.escape(str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return html.escape(str(value))


@dataclass
class Section:
    """A titled block of the report; add content in order with its methods."""

    title: str
    anchor: str
    parts: list[str] = field(default_factory=list)

    def text(self, paragraph: str) -> "Section":
        """A paragraph (escaped)."""
        self.parts.append(f"<p>{html.escape(paragraph)}</p>")
        return self

    def note(self, paragraph: str) -> "Section":
        """A small grey paragraph (escaped)."""
        self.parts.append(f'<p class="note">{html.escape(paragraph)}</p>')
        return self

    def heading(self, title: str) -> "Section":
        self.parts.append(f"<h3>{html.escape(title)}</h3>")
        return self

    def bullets(self, items: Sequence[str], css: str = "conclusions") -> "Section":
        """A bulleted list (escaped)."""
        if items:
            lis = "".join(f"<li>{html.escape(item)}</li>" for item in items)
            self.parts.append(f'<ul class="{css}">{lis}</ul>')
        return self

    def table(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        formats: Mapping[str, str] | None = None,
        highlight: int | None = None,
    ) -> "Section":
        """A table of ``rows`` (dicts); ``columns`` picks and orders them (default: all, first-seen
        order); ``highlight`` is the index of a row shown in bold."""
        if not rows:
            return self
        columns = list(columns or dict.fromkeys(key for row in rows for key in row))
        formats = formats or {}
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = []
        for i, row in enumerate(rows):
            cells = "".join(f"<td>{format_value(row.get(c), formats.get(c))}</td>" for c in columns)
            body.append(f'<tr class="best">{cells}</tr>' if i == highlight else f"<tr>{cells}</tr>")
        self.parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
        return self

    def figure(self, fig: Any, caption: str = "", fmt: str = "png", width: int | None = None) -> "Section":
        """Embed a matplotlib figure (or ready PNG/SVG bytes) with a caption."""
        self.parts.append(_figure_html(fig, caption, fmt, width))
        return self

    def grid(self, figures: Sequence[tuple[Any, str]], fmt: str = "png", width: int | None = None) -> "Section":
        """Several figures side by side, each ``(figure or bytes, caption)``."""
        if figures:
            inner = "".join(_figure_html(fig, caption, fmt, width) for fig, caption in figures)
            self.parts.append(f'<div class="grid">{inner}</div>')
        return self

    def raw_html(self, markup: str) -> "Section":
        """Trusted markup, inserted as is."""
        self.parts.append(markup)
        return self


def _figure_html(fig: Any, caption: str, fmt: str, width: int | None) -> str:
    if isinstance(fig, (bytes, bytearray)):
        data = bytes(fig)
        mime = "image/svg+xml" if data.lstrip()[:5] in (b"<?xml", b"<svg ") else "image/png"
    else:
        data = figure_bytes(fig, fmt)
        mime = "image/svg+xml" if fmt == "svg" else "image/png"
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{image_tag(data, mime, caption, width)}{cap}</figure>"


class Report:
    """An HTML report made of sections, rendered to one self-contained file."""

    def __init__(self, title: str, subtitle: str = "", footer: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.footer = footer
        self.sections: list[Section] = []

    def section(self, title: str) -> Section:
        """Append and return a new section."""
        section = Section(title, f"s{len(self.sections) + 1}")
        self.sections.append(section)
        return section

    def render(self) -> str:
        """The whole page as a string."""
        nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in self.sections)
        body = "".join(
            f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{"".join(s.parts)}</section>' for s in self.sections
        )
        sub = f"<p>{html.escape(self.subtitle)}</p>" if self.subtitle else ""
        foot = f'<p class="note">{html.escape(self.footer)}</p>' if self.footer else ""
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<style>{STYLE}</style></head><body>"
            f"<header><h1>{html.escape(self.title)}</h1>{sub}<nav>{nav}</nav></header>"
            f"<main>{body}{foot}</main></body></html>\n"
        )

    def write(self, path: str | Path) -> Path:
        """Write the page atomically; returns the path."""
        path = Path(path)
        with atomic_write(path) as handle:
            handle.write(self.render())
        return path
