"""A shop page carrying the Points widgets, for the widget tests and widget_shots.py: served on its
own origin (not the sandbox's), with the CSP the decisions give the shop for the widget origin,
and no inline script (the explicit init is a static file of the page)."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title><link rel="stylesheet" href="/shop.css"></head>
<body>
<main>
<h1>Sukkari dates</h1><p class="price">19.90 SAR</p>
<div id="card" data-points-widget="points-card" data-lang="{lang}" data-points="199"></div>
<h2>Checkout</h2>
<div id="checkout"></div>
</main>
<script src="{widget_origin}{mount}/widget-loader.js"></script>
<script src="/shop.js" data-lang="{lang}"></script>
</body></html>"""

SHOP_JS = """
var me = document.currentScript;
window.checkoutWidget = PointsWidget.init({
  type: "installments", container: "#checkout", lang: me.dataset.lang, points: 1150
});
"""

SHOP_CSS = "body{font-family:sans-serif;margin:24px;max-width:760px} .price{font-size:22px;font-weight:700}"


def csp(widget_origin: str) -> str:
    """The shop's policy on a widget page (decisions, "Points widgets")."""
    return (
        f"default-src 'self'; script-src 'self' {widget_origin}; frame-src {widget_origin}; "
        f"connect-src 'self' {widget_origin}; font-src 'self' {widget_origin}; "
        f"style-src 'self' 'unsafe-inline' {widget_origin}; img-src 'self' data: https:; frame-ancestors 'none'"
    )


def shop_app(widget_origin: str, mount: str = ""):
    @Request.application
    def app(request):
        if request.path == "/shop.js":
            return Response(SHOP_JS, mimetype="text/javascript")
        if request.path == "/shop.css":
            return Response(SHOP_CSS, mimetype="text/css")
        lang = "en" if request.args.get("lang") == "en" else "ar"
        html = PAGE.format(lang=lang, dir="rtl" if lang == "ar" else "ltr", widget_origin=widget_origin, mount=mount)
        return Response(html, mimetype="text/html", headers={"Content-Security-Policy": csp(widget_origin)})

    return app


def serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server
