#!/usr/bin/env bash
# Lighthouse (mobile) on the demo's pages, in English and Arabic: every shop page (catalogue, a
# product, one taken off sale, cart, checkout, a paid and a cash-on-delivery order's pages), the back
# office (login, orders, a paid and a cash-on-delivery order, webhooks, health) and the sandbox (each
# step of the hosted checkout, the widgets, the control pages). Serves a fresh demo on a free port,
# logs in as the demo staff member, places the orders and walks shoppers to each hosted step, then
# prints each page's four scores, every audit under 1, and a table of the scores.
# Fails if a page scores under 100 for accessibility or best practices, or a shop page for SEO
# (the back office is noindex on purpose). Performance is printed, not judged: on a busy machine
# Lighthouse's simulated timings move by a few points.
#
#   scripts/lighthouse.sh            (needs node/npm and Debian's chromium; CHROME_PATH to override)
#   LIGHTHOUSE_ONLY=sandbox scripts/lighthouse.sh    (only the pages whose "kind name path" matches)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
lighthouse_dir=${LIGHTHOUSE_DIR:-${TMPDIR:-/tmp}/storefront-lighthouse}
if [ ! -x "$lighthouse_dir/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$lighthouse_dir"
  npm install --prefix "$lighthouse_dir" --no-audit --no-fund --silent lighthouse@12
fi
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite:///$work/shop.db" POINTS_SANDBOX_DATABASE_URL="sqlite:///$work/sandbox.db"
# The done step sends the shopper back to the shop after a few seconds: not while it is audited.
export SANDBOX_REDIRECT_SECONDS=600
flask --app wsgi run --port "$port" >"$work/server.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf -o /dev/null "$base/" && break; sleep 0.2; done

BASE=$base WORK=$work LIGHTHOUSE="$lighthouse_dir/node_modules/.bin/lighthouse" \
  CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} python - <<'PY'
import html, json, os, re, sqlite3, subprocess, sys, time
import requests

base, work = os.environ["BASE"], os.environ["WORK"]
only = re.compile(os.environ.get("LIGHTHOUSE_ONLY", ""))


def token(session, path):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', session.get(base + path).text).group(1)


def submit(session, path, action, **fields):
    """POSTs the form on `path` whose action ends with `action`: its hidden fields and `fields`."""
    page = session.get(base + path).text
    form = next(f for f in re.findall(r"<form\b.*?</form>", page, re.S) if re.search(rf'action="[^"]*{re.escape(action)}"', f))
    inputs = [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<input\b[^>]*>", form)]
    hidden = {i["name"]: html.unescape(i.get("value", "")) for i in inputs if i.get("type") == "hidden"}
    target = html.unescape(re.search(r'action="([^"]+)"', form).group(1))
    return session.post(base + target, data={**hidden, **fields}, allow_redirects=False)


def to_points(session, answer):
    """The hosted checkout the shop's answer to Pay leads to (maybe through its preparing page)."""
    url = answer.headers["Location"]
    for _ in range(50):
        if "/points-sandbox/checkout/" in url:
            return url.removeprefix(base)
        time.sleep(0.2)
        url = session.get(base + url.removeprefix(base), allow_redirects=False).headers.get("Location", url)
    raise SystemExit(f"no hosted checkout after {url}")


def checkout(session, slug, phone, name, city, address, payment="points"):
    session.post(base + f"/products/{slug}", data={"quantity": 1, "csrf_token": token(session, f"/products/{slug}")})
    return session.post(base + "/checkout", allow_redirects=False, data={
        "csrf_token": token(session, "/checkout"), "phone": phone, "name": name, "city": city,
        "address_line": address, "payment": payment})


def hosted_shopper(phone, slug, *steps):
    """A shopper on the hosted checkout, taken through `steps` (verify, redeem, confirm, close)."""
    session = requests.Session()
    url = to_points(session, checkout(session, slug, phone, "Omar", "Jeddah", "Tahlia St 5"))
    for step in steps:
        fields = {}
        if step == "verify":
            fields = {"code": re.search(r'name="code" value="(\d+)"', session.get(base + url).text).group(1)}
        elif step == "redeem":
            fields = {"mode": "partial", "amount": "10"}
        submit(session, url, "/" + step, **fields)
    return url


def shop_rows(query):
    return sqlite3.connect(f"{work}/shop.db").execute(query).fetchall()


staff = requests.Session()
staff.post(base + "/admin/login", data={"csrf_token": token(staff, "/admin/login"),
           "email": "demo@points-storefront.test", "password": "demo-password"})
# A paid order: the demo shopper pays it by card through the sandbox's control API; its hosted page
# is then the "done" step, which sends the shopper back to the shop.
shopper = requests.Session()
done = to_points(shopper, checkout(shopper, "sukkari-dates", "0500000001", "سارة القحطاني", "الرياض",
                                   "حي النرجس، شارع الأمير سعود"))
requests.post(f"{base}/points-sandbox/_control/sessions/{done.rsplit('/', 1)[-1]}/complete",
              json={"phone_number": "500000001", "points": 0, "card_number": "4111111111111111"})
# A cash-on-delivery order, collected: its earning goes to Points.
cod = requests.Session()
placed = checkout(cod, "dallah-brass", "0500000003", "Noura", "Dammam", "King Fahd Rd 12", payment="cod")
[(paid_number, paid_token)] = shop_rows("SELECT order_number, token FROM orders WHERE payment_method != 'cod'")
[(cod_number, cod_token)] = shop_rows("SELECT order_number, token FROM orders WHERE payment_method = 'cod'")
submit(staff, f"/admin/orders/{cod_number}", "/collected")
# The hosted checkout at each of its steps, a shopper per step (showing a step changes nothing).
verify = hosted_shopper("0500000002", "ajwa-dates")
hosted = [verify, verify + "/phone", hosted_shopper("0500000009", "ajwa-dates"),  # onboarding: an unknown number
          hosted_shopper("0500000001", "cardamom-blend", "verify"),  # redeem
          hosted_shopper("0500000001", "oud-incense", "verify", "redeem"),  # confirm
          hosted_shopper("0500000001", "prayer-mat", "verify", "redeem", "confirm"),  # pay
          hosted_shopper("0500000002", "maamoul-assortment", "close"), done]  # ended, done
titles = ["verify-title", "phone-title", "no-account", "redeem-title", "confirm-title", "pay-title", "ended-title", "done-title"]
for title, path in zip(titles, hosted):
    assert f'data-testid="{title}"' in requests.get(base + path).text, (title, path)  # each page on its step
# A browser whose cart holds a product then taken off sale.
browser = requests.Session()
for slug in ("saudi-khawlani-coffee", "rose-water"):
    browser.post(base + f"/products/{slug}", data={"quantity": 1, "csrf_token": token(browser, f"/products/{slug}")})
subprocess.run(["flask", "--app", "wsgi", "products", "off-sale", "rose-water"], check=True, capture_output=True)
cookie = lambda s: "; ".join(f"{k}={v}" for k, v in s.cookies.items())
widget = "/points-sandbox/widget/{}?type={}&points=1150&parentOrigin=" + base

pages = [("shop", "catalogue", "/", None), ("shop", "a category", "/?category=Coffee", None),
         ("shop", "product", "/products/saudi-khawlani-coffee", None),
         ("shop", "product off sale", "/products/rose-water", None),
         ("shop", "cart (a line off sale)", "/cart", browser), ("shop", "checkout", "/checkout", browser),
         ("shop", "paid order", f"/orders/{paid_token}", None),
         ("shop", "cash order placed", placed.headers["Location"].removeprefix(base), None),
         ("shop", "cash order", f"/orders/{cod_token}", None),
         ("admin", "login", "/admin/login", None), ("admin", "orders", "/admin/orders", staff),
         ("admin", "paid order", f"/admin/orders/{paid_number}", staff),
         ("admin", "cash order", f"/admin/orders/{cod_number}", staff),
         ("admin", "webhooks", "/admin/webhooks", staff), ("admin", "health", "/admin/health", staff),
         *[("sandbox", "hosted: " + title.removesuffix("-title").replace("no-account", "onboarding"), path, None)
           for title, path in zip(titles, hosted)],
         ("sandbox", "widget: points-card", widget.format("embed", "points-card"), None),
         ("sandbox", "widget: installments", widget.format("embed", "installments"), None),
         ("sandbox", "widget: popup", widget.format("modal", "points-card"), None),
         ("sandbox", "control", "/points-sandbox/_control/", None),
         ("sandbox", "control: reset shoppers", "/points-sandbox/_control/shoppers/reset", None)]
failed, table = [], []
for kind, name, path, who in pages:
    if not only.search(f"{kind} {name} {path}"):
        continue
    row = []
    for lang in ("en", "ar"):
        # The shop reads its lang cookie; the sandbox follows the browser's language.
        headers = {"Accept-Language": lang, "Cookie": f"lang={lang}" + (f"; {cookie(who)}" if who else "")}
        url = base + path + (f"&lang={lang}" if "/widget/" in path else "")
        out = f"{work}/report.json"
        subprocess.run([os.environ["LIGHTHOUSE"], url, "--quiet", "--output=json", f"--output-path={out}",
                        "--form-factor=mobile", "--only-categories=performance,accessibility,best-practices,seo",
                        f"--extra-headers={json.dumps(headers)}",
                        "--chrome-flags=--headless --no-sandbox --disable-gpu"], check=True)
        report = json.load(open(out))
        scores = {k: round((v["score"] or 0) * 100) for k, v in report["categories"].items()}
        print(f"{lang} {kind} {name} ({path}): {scores}", flush=True)
        if report.get("finalDisplayedUrl", url) != url:
            print(f"    ended on {report['finalDisplayedUrl'].removeprefix(base)}")
        for category in report["categories"].values():
            for ref in category["auditRefs"]:
                audit = report["audits"][ref["id"]]
                if audit.get("score") is not None and audit["score"] < 1 and (ref.get("weight") or ref["id"] == "label-content-name-mismatch"):
                    print(f"    {category['id']}: {ref['id']} {audit.get('displayValue', '')}", flush=True)
        judged = ["accessibility", "best-practices"] + (["seo"] if kind == "shop" else [])
        failed += [f"{lang} {kind} {name}: {c} {scores[c]}" for c in judged if scores[c] < 100]
        row.append(" / ".join(str(scores[c]) for c in ("performance", "accessibility", "best-practices", "seo")))
    table.append(f"| {kind} | {name} | {row[0]} | {row[1]} |")
print("\n| | Page | English | Arabic |\n|---|---|---|---|\n" + "\n".join(table))
print("\n".join(["Under 100:"] + failed) if failed else "Every page: 100 for accessibility and best practices, and the shop for SEO.")
sys.exit(1 if failed else 0)
PY
