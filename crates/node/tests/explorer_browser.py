"""The explorer in a real browser (headless Chromium driven by Playwright), as
`explorer_browser.rs` runs it against a node on loopback.

argv: base URL, settlement tx id, contributor address, task id, screenshot folder, chromium path,
an API key of the user.
Prints one JSON object: what it checked and the tampered proofs the Rust side re-checks.
"""

import json
import sys

import blake3
from playwright.sync_api import sync_playwright

base, settlement, contributor, task, shots, chromium, api_key = sys.argv[1:8]
out = {"pages": {}, "errors": []}


def fail(msg):
    out["errors"].append(msg)


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # Every page kind renders, titled, without script errors; a screenshot of each.
    tx_height = None
    kinds = {
        "home": "/",
        "blocks": "/blocks",
        "transaction": f"/txs/{settlement}",
        "account": f"/accounts/{contributor}",
        "datanets": "/datanets",
        "datanet": "/datanets/0?contribution=0",
        "models": "/models",
        "model": "/models/0",
        "answer": f"/answers/{settlement}",
        "agents": "/agents",
        "tasks": "/tasks",
        "task": f"/tasks/{task}",
    }
    for name, path in kinds.items():
        r = page.goto(base + path)
        h1 = page.locator("h1").inner_text()
        out["pages"][name] = {"status": r.status, "h1": h1}
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)
        if name == "transaction":
            tx_height = page.locator("dd a[href^='/blocks/']").first.get_attribute("href")
    r = page.goto(base + tx_height)
    out["pages"]["block"] = {"status": r.status, "h1": page.locator("h1").inner_text()}
    page.screenshot(path=f"{shots}/block.png", full_page=True)

    # An answer, followed: a highlighted span leads to its record, the record's contribution to
    # its contributor, whose account shows the reward the answer's payout names.
    page.goto(f"{base}/answers/{settlement}")
    out["recheck"] = page.locator("#recheck").inner_text()
    paid = page.locator("table").nth(1).locator("td.num span.amt").first.get_attribute("title")
    span = page.locator("a.span").first
    out["span_text"] = span.inner_text()
    span.click()
    page.wait_for_load_state()
    anchor = page.url.split("#", 1)[1]
    out["record_url"] = page.url
    out["record_text"] = page.locator(f"li#{anchor} pre").inner_text()
    page.locator("table").nth(1).locator("tbody tr").first.locator("a[href^='/accounts/']").click()
    page.wait_for_load_state()
    out["contributor_url"] = page.url
    page.wait_for_selector("#proof-status.ok, #proof-status.bad")
    out["proof_status"] = page.locator("#proof-status").inner_text()
    out["proof_ok"] = page.locator("#proof-status").get_attribute("class") == "ok"
    out["paid_to_contributor"] = paid

    # The in-browser verifier against tampered proofs; the Rust verifier re-checks each.
    d = page.evaluate("() => Object.assign({}, document.getElementById('proof').dataset)")
    cases = []
    proof = d["proof"]
    flipped = proof[:-2] + format(int(proof[-2:], 16) ^ 1, "02x")
    value = d["value"]
    richer = value[:0] + format(int(value[:2], 16) ^ 0x80, "02x") + value[2:]
    for label, root, key, val, prf in [
        ("genuine", d["root"], d["key"], value, proof),
        ("last proof byte flipped", d["root"], d["key"], value, flipped),
        ("balance raised", d["root"], d["key"], richer, proof),
        ("another root", "00" * 32, d["key"], value, proof),
        ("truncated", d["root"], d["key"], value, proof[:-4]),
    ]:
        verdict = page.evaluate(
            "([r, k, v, p]) => { try { return SinewProof.verifyProof(r, k, v, p) ? 'ok' : 'no'; }"
            " catch (e) { return 'refused: ' + e.message; } }",
            [root, key, val, prf],
        )
        cases.append({"label": label, "root": root, "key": key, "value": val, "proof": prf, "js": verdict})
    out["proof_cases"] = cases

    # BLAKE3 in the browser against the reference implementation.
    mismatches = []
    for n in [0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 5000, 65536, 70001]:
        data = bytes(i % 251 for i in range(n))
        js = page.evaluate("(a) => SinewProof.blake3(new Uint8Array(a))", list(data))
        if js != blake3.blake3(data).hexdigest():
            mismatches.append(n)
    out["blake3_mismatches"] = mismatches

    # The playground: a refused key says so; a good one streams an answer, its attribution,
    # then a link to its settlement once final.
    page.goto(base + "/playground")
    page.fill("#key", "sk-not-a-key")
    page.fill("#prompt", "The Rhine carries")
    page.click("#go")
    page.wait_for_selector("#settlement.bad")
    out["playground_refused"] = page.locator("#settlement").inner_text()
    page.fill("#key", api_key)
    page.fill("#max", "24")
    page.click("#go")
    page.wait_for_selector("#answer-link", timeout=20000)
    out["playground_answer"] = page.locator("#answer").inner_text()
    out["playground_attribution"] = page.locator("#attribution").inner_text()
    out["playground_link"] = page.locator("#answer-link").get_attribute("href")
    page.screenshot(path=f"{shots}/playground.png", full_page=True)
    page.click("#answer-link")
    page.wait_for_load_state()
    out["playground_settled"] = page.locator("#recheck").inner_text()

    # Live updates: the home page's head follows new blocks, and a new paid answer appears
    # (the Rust side asks for one).
    page.goto(base + "/")
    first = page.locator("#head-height").inner_text()
    newest = "#latest-answers-body tr:first-child a"
    first_answer = page.locator(newest).first.get_attribute("href")
    print(json.dumps({"ready": first}), flush=True)
    sys.stdin.readline()
    try:
        page.wait_for_function(
            "(h) => document.getElementById('head-height').innerText !== h", arg=first, timeout=15000
        )
        page.wait_for_function(
            "([sel, a]) => document.querySelector(sel).getAttribute('href') !== a",
            arg=[newest, first_answer],
            timeout=15000,
        )
        out["live"] = {
            "before": first,
            "after": page.locator("#head-height").inner_text(),
            "answer_after": page.locator(newest).first.get_attribute("href"),
        }
    except Exception as e:  # noqa: BLE001 - reported to the Rust side
        out["live"] = {
            "before": first,
            "error": str(e),
            "note": page.locator("#live").inner_text(),
        }
    out["live_note"] = page.locator("#live").inner_text()

    # Markup in a datanet's name stays text: no dialog opens, the name reads as typed.
    page.goto(base + "/datanets")
    out["escaped_name_shown"] = "<script>alert('x')</script>" in page.locator("main").inner_text()

    # Reading works without JavaScript; on a phone-sized screen nothing overflows sideways.
    nojs = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    q = nojs.new_page()
    q.goto(f"{base}/answers/{settlement}")
    out["nojs_answer"] = q.locator(".answer").inner_text()
    out["nojs_payout_rows"] = q.locator("table").first.locator("tbody tr").count()
    q.screenshot(path=f"{shots}/answer-phone.png", full_page=True)
    widths = q.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    out["phone_overflow"] = widths[0] > widths[1] + 1
    # Keyboard: the first tab stop is the skip link, and it leads to the content.
    q.goto(base + "/")
    q.keyboard.press("Tab")
    out["first_tab"] = q.evaluate("() => document.activeElement.textContent")

    # The refused key's 401 is the one resource error expected.
    out["expected_401s"] = sum("status of 401" in e for e in console_errors)
    out["console_errors"] = [e for e in console_errors if "status of 401" not in e]
    out["dialogs"] = dialogs

    # A node that goes down: the open page says so instead of going blank or silent.
    page.goto(base + "/")
    try:
        page.wait_for_function(
            "() => document.getElementById('live').innerText.startsWith('Live:')", timeout=10000
        )
    except Exception as e:  # noqa: BLE001 - reported to the Rust side
        fail("the home page never went live: " + page.locator("#live").inner_text() + " / " + str(console_errors))
    print(json.dumps({"ready": "down"}), flush=True)
    sys.stdin.readline()
    try:
        page.wait_for_function(
            "() => document.getElementById('live').innerText.includes('unreachable')", timeout=15000
        )
        out["down_note"] = page.locator("#live").inner_text()
    except Exception as e:  # noqa: BLE001 - reported to the Rust side
        out["down_note"] = "no message: " + str(e)
    out["down_page_kept"] = page.locator("h1").inner_text()
    browser.close()

print(json.dumps(out))
