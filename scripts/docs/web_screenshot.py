"""Take ``docs/http-page.png``: the web page of ``dsocr-analyzer serve-http``, comparing the H100 SXM (calibrated)
with the B200 (a portable estimate), in Debian's Chromium driven by Playwright (no browser download).

Usage (with the service running, e.g. ``dsocr-analyzer serve-http --port 8000``)::

    python scripts/docs/web_screenshot.py [--url http://127.0.0.1:8000/] [--output docs/http-page.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "http-page.png"
CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/", help="the page; default: %(default)s")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="PNG to write; default: docs/http-page.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    ready = "document.body.dataset.state === 'ready'"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(args.url)
        page.wait_for_function(ready, timeout=60_000)
        page.select_option("#hardware_b", "b200")
        page.check("#compare")
        page.wait_for_timeout(400)  # the page waits 200 ms after the last change before it asks
        page.wait_for_function(ready, timeout=60_000)
        page.screenshot(path=str(args.output), full_page=True)
        browser.close()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
