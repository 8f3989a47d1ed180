"""The Points widgets stand-in (docs §10.7, decisions "Points widgets"): `widget-loader.js` at the
sandbox's root, the iframe page of a widget at `/widget/embed` and its popup at `/widget/modal`.

Only these pages may be framed (by any shop: `frame-ancestors *`); they carry no inline script.
"""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request, send_from_directory

bp = Blueprint("widgets", __name__)

TYPES = ("points-card", "installments")
# An origin as the loader sends it (`location.origin`): postMessage's target, never "*".
ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:]+\](:[0-9]{1,5})?")
WIDGET_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors *"
)

TEXTS = {
    "ar": {
        "card_before": "إكسب",
        "points_word": "نقطة",
        "card_after": "مكافأة عند شرائك لهذا المنتج. تُضاف مباشرة إلى محفظتك وتقدر تستخدمها في مشترياتك القادمة",
        "learn_more": "لمعرفة المزيد",
        "installments": "ستكسب {points} نقطة مكافأة عند إتمام هذا الطلب، على نفس رقم جوالك",
        "dismiss": "إغلاق",
        "logo": "بوينتس",
        "description": "بوينتس: نقاط مكافأة على مشترياتك، تستخدمها في أي متجر مشارك",
        "title": "تسوّق واربح مكافآتك مع بوينتس!",
        "lead": "اكسب {points} نقطة مباشرة عند شراء هذا المنتج. النقاط تُضاف تلقائيًا لمحفظتك وتقدر تستخدمها بسهولة في أي متجر مشارك.",
        "rewards": "وش هي مكافآتك!",
        "reward_wallet": "{points} نقطة تُضاف فورًا بعد الدفع",
        "reward_value": "النقاط تعادل رصيد شرائي تقدر تستخدمه لاحقًا",
        "reward_double": "مضاعفة النقاط! بعض المتاجر تمنح X2 أو X3",
        "how": "كيف يعمل؟",
        "steps": [
            "اشترِ المنتج – أضف المنتج إلى سلة التسوق وأكمل الدفع",
            "استلم نقاطك فورًا – تُضاف {points} نقطة مباشرة إلى محفظتك الرقمية",
            "استخدمها وقت ما تحب – استبدل النقاط في أي متجر مشارك في الشبكة",
            "تابع رصيدك – تقدر تعرف رصيد نقاطك ومشترياتك من تطبيق Points",
        ],
        "continue": "تابع التسوّق",
        "close": "إغلاق",
    },
    "en": {
        "card_before": "Earn",
        "points_word": "points",
        "card_after": "as a reward when you buy this product. They go straight to your wallet, to use on your next purchases",
        "learn_more": "Learn more",
        "installments": "You will earn {points} points as a reward when you complete this order, on the same mobile number",
        "dismiss": "Dismiss",
        "logo": "Points",
        "description": "Points: reward points on your purchases, to use in any partner store",
        "title": "Shop and earn your rewards with Points!",
        "lead": "Earn {points} points as soon as you buy this product. The points go to your wallet automatically, to use easily in any partner store.",
        "rewards": "What are your rewards?",
        "reward_wallet": "{points} points added right after payment",
        "reward_value": "Points are shopping credit you can use later",
        "reward_double": "Double points! Some stores give X2 or X3",
        "how": "How does it work?",
        "steps": [
            "Buy the product – add it to your cart and pay",
            "Get your points at once – {points} points go straight to your digital wallet",
            "Use them whenever you like – redeem them in any partner store of the network",
            "Follow your balance – see your points and purchases in the Points app",
        ],
        "continue": "Continue shopping",
        "close": "Close",
    },
}


def _options() -> dict:
    """The query the loader builds; anything unexpected falls back to the documented default."""
    lang = request.args.get("lang", "ar")
    lang = lang if lang in TEXTS else "ar"
    try:
        points = max(0, int(request.args.get("points", "0")))
    except ValueError:
        points = 0
    parent = request.args.get("parentOrigin", "")
    return {
        "lang": lang,
        "dir": "rtl" if lang == "ar" else "ltr",
        "points": f"{points:,}",
        "parent_origin": parent if ORIGIN.fullmatch(parent) else "",
        "widget_id": re.sub(r"[^A-Za-z0-9_-]", "", request.args.get("id", ""))[:40],
        "t": TEXTS[lang],
    }


def _framable(html: str, status: int = 200):
    return html, status, {"Content-Security-Policy": WIDGET_CSP, "Cache-Control": "no-store"}


@bp.get("/widget-loader.js")
def loader():
    response = send_from_directory(bp.root_path + "/static", "widget-loader.js", mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"  # a script any shop includes
    return response


@bp.get("/widget/embed")
def embed():
    options = _options()
    kind = request.args.get("type", "points-card")
    if kind not in TYPES:
        return _framable(render_template("widget/unknown.html", **options), 404)
    return _framable(render_template("widget/embed.html", kind=kind, **options))


@bp.get("/widget/modal")
def modal():
    return _framable(render_template("widget/modal.html", **_options()))
