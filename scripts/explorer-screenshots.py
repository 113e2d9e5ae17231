#!/usr/bin/env python3
"""Screenshots of the explorer's main pages from a running node (for README.md).

usage: scripts/explorer-screenshots.py URL OUTDIR [CHROMIUM]
Needs Python's `playwright` (pip) and a Chromium (Debian's `chromium`); downloads nothing.
Run it against `sinew devnet --demo` once the demo has finished.
"""

import sys

from playwright.sync_api import sync_playwright

url, out = sys.argv[1].rstrip("/"), sys.argv[2]
chromium = sys.argv[3] if len(sys.argv) > 3 else "/usr/bin/chromium"

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(url + "/")
    page.screenshot(path=f"{out}/home.png")
    answer = page.locator("a[href^='/answers/']").first.get_attribute("href")
    page.goto(url + answer)
    page.screenshot(path=f"{out}/answer.png", full_page=True)
    page.locator("a[href^='/models/']").first.click()
    page.wait_for_load_state()
    page.screenshot(path=f"{out}/model.png", full_page=True)
    page.goto(url + answer)
    page.locator("a.span").first.click()
    page.wait_for_load_state()
    page.screenshot(path=f"{out}/datanet.png")
    page.goto(url + answer)
    page.locator("table").nth(1).locator("a[href^='/accounts/']").first.click()
    page.wait_for_selector("#proof-status.ok, #proof-status.bad")
    page.screenshot(path=f"{out}/account.png")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(url + answer)
    phone.screenshot(path=f"{out}/answer-phone.png")
    browser.close()
