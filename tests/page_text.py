"""A page's text as a reader gets it: tags dropped, entities decoded, white space collapsed.

Money is drawn with the riyal sign as an SVG and the words "SAR" for screen readers, so an
amount reads ``1,234.50 SAR`` in the text, not in the markup.
"""

import html as html_lib
import re

_TAG = re.compile(r"<[^>]+>")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style|svg)\b.*?</\1>", re.DOTALL | re.IGNORECASE)


def text(html: str) -> str:
    without = _TAG.sub("", _SCRIPT_OR_STYLE.sub("", html))
    return re.sub(r"\s+", " ", html_lib.unescape(without)).strip()
