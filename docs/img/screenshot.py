"""Take the README's screenshot (docs/img/frontdesk-home.png) from the demo studio.

A throwaway database, so the working one is left alone:

    export DATABASE_URL=sqlite:////tmp/shot/studio.sqlite3 CELERY_BROKER_URL=memory:// \
           CELERY_TASK_ALWAYS_EAGER=1 STUDIO_STATIC_FROM_SOURCE=1
    .venv/bin/python manage.py migrate --noinput && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8765 --noreload &
    .venv/bin/python docs/img/screenshot.py http://127.0.0.1:8765

It logs in as the demo front desk (frontdesk / studio-demo), opens the home page at 1366 px in
Debian's Chromium and writes the PNG with 128 colours (Pillow) to keep it small.
"""
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

OUT = Path(__file__).with_name("frontdesk-home.png")


def main(base: str) -> None:
    raw = OUT.with_suffix(".raw.png")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "frontdesk")
        page.fill("input[name=password]", "studio-demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.screenshot(path=str(raw), full_page=False)
        browser.close()
    image = Image.open(raw).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                   dither=Image.Dither.NONE).save(OUT, optimize=True)
    raw.unlink()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
