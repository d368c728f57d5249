"""Render a step summary (Markdown) the way GitHub shows it: to HTML, and to a PNG picture.

Used for the picture in ``docs/``; not part of the package. The Markdown comes from a real run::

    SENTRY_GATE_SUMMARY_OUT=/tmp/summary.md .venv/bin/pytest tests/test_step_summary.py -k three
    .venv/bin/python scripts/render_step_summary.py /tmp/summary.md docs/step-summary-example

writes ``docs/step-summary-example.html`` (python-markdown, which the docs' MkDocs already
installs) and, when ``weasyprint`` and ``pypdfium2`` are importable (``pip install weasyprint
pypdfium2``; no browser needed), ``docs/step-summary-example.png``. As on GitHub, ``<details>``
blocks are folded: the picture shows their one-line summaries. The run's commands name this
machine's paths: before rendering, put ``examples/codictate`` for the checkout's
``--sentry-repo-root`` and ``examples/codictate/.sentry-gate/acme_codictate.json`` for pytest's
temporary state file, so the example names no machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import markdown

STYLE = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,'DejaVu Sans',sans-serif;max-width:920px;
margin:2em auto;color:#1f2328;line-height:1.5}
table{border-collapse:collapse}
td,th{border:1px solid #d0d7de;padding:4px 10px}th{background:#f6f8fa}
code{background:#eff1f3;padding:.1em .3em;border-radius:4px;font-size:90%}
pre{background:#f6f8fa;padding:12px;overflow:auto}details{margin:.5em 0}summary{cursor:pointer}
"""
#: Print only: fold ``<details>`` as a browser does, keep long commands inside the page.
PRINT_STYLE = """
@page{size:960px 12000px;margin:20px}
body{margin:0 !important;max-width:none !important}
details > :not(summary){display:none} summary::before{content:'\\25B8  '}
pre{white-space:pre-wrap;word-break:break-all}
"""

#: The picture's stand-ins for the icons GitHub draws in colour (DejaVu Sans has these).
DRAWN = {
    "\u2705": '<span style="color:#1a7f37">\u2714</span>',
    "\u274c": '<span style="color:#cf222e">\u2718</span>',
    "\u26a0\ufe0f": '<span style="color:#9a6700">\u26a0</span>',
}


def to_html(text: str) -> str:
    """GitHub-flavoured enough for a summary: tables, fenced code, Markdown in ``<details>``."""
    text = text.replace("<details>", '<details markdown="1">')
    body = markdown.markdown(text, extensions=["tables", "fenced_code", "md_in_html"])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>sentry-gate step summary (example)</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def to_png(html: str, out: Path) -> bool:
    """The first page, cropped to its content; ``False`` when the renderers are not installed."""
    try:
        import pypdfium2  # type: ignore[import-not-found]
        import weasyprint  # type: ignore[import-not-found]
        from PIL import ImageOps  # type: ignore[import-not-found]
    except ImportError:
        return False
    for emoji, drawn in DRAWN.items():  # no colour-emoji font on a build machine
        html = html.replace(emoji, drawn)
    pdf = weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=PRINT_STYLE)])
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=1.2).to_pil().convert("RGB")
    box = ImageOps.invert(image).getbbox()
    image.crop((0, 0, image.width, box[3] + 24)).save(out, optimize=True)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, stem = Path(argv[0]), Path(argv[1])
    html = to_html(source.read_text(encoding="utf-8"))
    stem.with_suffix(".html").write_text(html, encoding="utf-8")
    print(f"wrote {stem.with_suffix('.html')}")
    if to_png(html, stem.with_suffix(".png")):
        print(f"wrote {stem.with_suffix('.png')}")
    else:
        print("no PNG: pip install weasyprint pypdfium2 to draw one", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
