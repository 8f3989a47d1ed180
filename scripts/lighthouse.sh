#!/usr/bin/env bash
# Lighthouse (mobile) on the demo's pages, in English and Arabic: the shop, the back office and the
# sandbox's hosted checkout. Serves a fresh demo on a free port, logs in as the demo staff member,
# places and pays one order, then prints each page's four scores and every audit under 1.
# Fails if a page scores under 100 for accessibility or best practices, or a shop page for SEO
# (the back office is noindex on purpose). Performance is printed, not judged: on a busy machine
# Lighthouse's simulated timings move by a few points.
#
#   scripts/lighthouse.sh            (needs node/npm and Debian's chromium; CHROME_PATH to override)
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
DATABASE_URL="sqlite:///$work/shop.db" POINTS_SANDBOX_DATABASE_URL="sqlite:///$work/sandbox.db" \
  flask --app wsgi run --port "$port" >"$work/server.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf -o /dev/null "$base/" && break; sleep 0.2; done

BASE=$base WORK=$work LIGHTHOUSE="$lighthouse_dir/node_modules/.bin/lighthouse" \
  CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} python - <<'PY'
import json, os, re, sqlite3, subprocess, sys, time
import requests

base, work = os.environ["BASE"], os.environ["WORK"]

def token(session, path):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', session.get(base + path).text).group(1)

staff = requests.Session()
staff.post(base + "/admin/login", data={"csrf_token": token(staff, "/admin/login"),
           "email": "demo@points-storefront.test", "password": "demo-password"})
shopper = requests.Session()
shopper.post(base + "/products/sukkari-dates", data={"quantity": 1, "csrf_token": token(shopper, "/products/sukkari-dates")})
answer = shopper.post(base + "/checkout", allow_redirects=False, data={
    "csrf_token": token(shopper, "/checkout"), "phone": "0500000001", "name": "سارة القحطاني",
    "city": "الرياض", "address_line": "حي النرجس، شارع الأمير سعود"})
checkout_url = answer.headers["Location"]
for _ in range(50):
    if "/points-sandbox/checkout/" in checkout_url:
        break
    time.sleep(0.2)
    checkout_url = shopper.get(base + checkout_url, allow_redirects=False).headers.get("Location", checkout_url)
session_id = checkout_url.rstrip("/").rsplit("/", 1)[-1]
requests.post(f"{base}/points-sandbox/_control/sessions/{session_id}/complete",
              json={"phone_number": "500000001", "points": 0, "card_number": "4111111111111111"})
number, order_token = sqlite3.connect(f"{work}/shop.db").execute("SELECT order_number, token FROM orders").fetchone()
# A second shopper left on the hosted checkout page, for that page's own audit.
other = requests.Session()
other.post(base + "/products/ajwa-dates", data={"quantity": 1, "csrf_token": token(other, "/products/ajwa-dates")})
hosted = other.post(base + "/checkout", allow_redirects=False, data={
    "csrf_token": token(other, "/checkout"), "phone": "0500000002", "name": "Omar", "city": "Jeddah",
    "address_line": "Tahlia St 5"}).headers["Location"]
cookie = lambda s: "; ".join(f"{k}={v}" for k, v in s.cookies.items())

pages = [("shop", "/"), ("shop", "/products/saudi-khawlani-coffee"), ("shop", "/cart"),
         ("shop", f"/orders/{order_token}"), ("sandbox", hosted.removeprefix(base)),
         ("admin", "/admin/login"), ("admin", "/admin/orders"), ("admin", f"/admin/orders/{number}"),
         ("sandbox", "/points-sandbox/_control/")]
failed = []
for kind, path in pages:
    for lang in ("en", "ar"):
        headers = {"Cookie": f"lang={lang}" + (f"; {cookie(staff)}" if kind == "admin" else "")}
        out = f"{work}/report.json"
        subprocess.run([os.environ["LIGHTHOUSE"], base + path, "--quiet", "--output=json", f"--output-path={out}",
                        "--form-factor=mobile", "--only-categories=performance,accessibility,best-practices,seo",
                        f"--extra-headers={json.dumps(headers)}",
                        "--chrome-flags=--headless --no-sandbox --disable-gpu"], check=True)
        report = json.load(open(out))
        scores = {k: round((v["score"] or 0) * 100) for k, v in report["categories"].items()}
        print(f"{lang} {path}: {scores}")
        for category in report["categories"].values():
            for ref in category["auditRefs"]:
                audit = report["audits"][ref["id"]]
                if audit.get("score") is not None and audit["score"] < 1 and (ref.get("weight") or ref["id"] == "label-content-name-mismatch"):
                    print(f"    {category['id']}: {ref['id']} {audit.get('displayValue', '')}")
        judged = ["accessibility", "best-practices"] + (["seo"] if kind == "shop" else [])
        failed += [f"{lang} {path} {name} {scores[name]}" for name in judged if scores[name] < 100]
print("\n".join(["Under 100:"] + failed) if failed else "Every page: 100 for accessibility and best practices, and the shop for SEO.")
sys.exit(1 if failed else 0)
PY
