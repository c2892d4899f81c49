"""Render a report in headless Chromium: a screenshot, and a check that it loads cleanly.

:func:`check_page` loads a copy of the page with a small probe script added (the report itself
has no scripts) and returns the console messages, page errors (including images that fail to
load) and, for every ``<img>``, whether it decoded (``naturalWidth > 0``).
:func:`screenshot` writes a PNG of the page.

Needs a Chromium binary (Debian: ``apt-get install -y chromium``); :func:`find_chromium`
returns None when there is none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from motifnet.errors import MotifnetError

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
]
PROBE_ID = "motifnet-page-check"
PROBE = """<script>
window.__motifnetErrors = [];
window.addEventListener('error', function (e) {
  var t = e.target || {};
  window.__motifnetErrors.push(e.message || ('failed to load ' + (t.tagName || '?') + ' ' + String(t.src || '').slice(0, 60)));
}, true);
window.addEventListener('load', function () {
  var images = Array.prototype.map.call(document.images, function (i) {
    return {alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight};
  });
  var pre = document.createElement('pre');
  pre.id = '""" + PROBE_ID + """';
  pre.textContent = JSON.stringify({images: images, errors: window.__motifnetErrors, title: document.title,
                                    height: document.documentElement.scrollHeight});
  document.body.appendChild(pre);
});
</script>"""


@dataclass
class PageCheck:
    """What Chromium saw.

    Attributes:
        images: per ``<img>``: alt, complete, naturalWidth, naturalHeight.
        errors: page errors (script errors, resources that failed to load).
        console: console messages Chromium logged for the page.
        title: the document title; height: the page height in CSS pixels.
    """

    images: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    title: str = ""
    height: int = 0

    @property
    def broken_images(self) -> list[dict]:
        """Images that did not load or decode."""
        return [image for image in self.images if not image["complete"] or image["naturalWidth"] <= 0]

    @property
    def ok(self) -> bool:
        """No errors, no console messages, every image decoded."""
        return not self.errors and not self.console and not self.broken_images


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    binary = find_chromium()
    if binary is None:
        raise MotifnetError("no Chromium found (Debian: apt-get install -y chromium)")
    profile = tempfile.mkdtemp(prefix="motifnet-chromium-")
    try:
        env = {**os.environ, "HOME": profile}
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise MotifnetError(f"Chromium did not finish within {timeout:.0f} s") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def check_page(html_path: str | os.PathLike, timeout: float = 90) -> PageCheck:
    """Load ``html_path`` (with a probe script added, in a temporary copy) and report what happened.

    Raises:
        MotifnetError: no Chromium, a timeout, or a page on which the probe did not run.
    """
    html_path = Path(html_path)
    text = html_path.read_text(encoding="utf-8")
    probed = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + PROBE, text, count=1)
    if probed == text:
        probed = PROBE + text
    with tempfile.TemporaryDirectory(prefix="motifnet-page-") as folder:
        copy = Path(folder) / html_path.name
        copy.write_text(probed, encoding="utf-8")
        done = _run(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", copy.as_uri()], timeout)
    match = re.search(rf'<pre id="{PROBE_ID}">(.*?)</pre>', done.stdout, re.S)
    if not match:
        raise MotifnetError(f"the page did not finish loading in Chromium (exit {done.returncode}): {done.stderr[-400:]}",
                            path=html_path)
    import html as html_module

    found = json.loads(html_module.unescape(match.group(1)))
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    return PageCheck(found["images"], found["errors"], console, found.get("title", ""), int(found.get("height", 0)))


def screenshot(html_path: str | os.PathLike, png_path: str | os.PathLike, width: int = 1280, height: int | None = None,
               timeout: float = 90) -> Path:
    """Write a PNG screenshot of ``html_path`` (``height`` default: the whole page, at most 12000 px).

    Raises:
        MotifnetError: no Chromium, a timeout, or no screenshot written.
    """
    html_path, png_path = Path(html_path), Path(png_path)
    if height is None:
        height = min(max(check_page(html_path, timeout).height, 600), 12000)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="motifnet-shot-", dir=png_path.parent) as folder:
        target = Path(folder) / png_path.name
        done = _run([f"--window-size={width},{height}", f"--screenshot={target}", "--virtual-time-budget=10000",
                     html_path.resolve().as_uri()], timeout)
        if not target.exists() or target.stat().st_size == 0:
            raise MotifnetError(f"Chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-400:]}", path=png_path)
        os.replace(target, png_path)
    return png_path
