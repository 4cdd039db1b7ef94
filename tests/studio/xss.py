"""Known XSS payloads, and a check that a page holds none of them as live markup."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<body onload=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<form action="https://evil.example/"><input name=x></form>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "[click](JaVaScRiPt:alert(1))",
    "[click](vbscript:msgbox(1))",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[x](&#106;avascript:alert(1))",
    '<img src="https://evil.example/pixel.png">',
    "![x](https://evil.example/pixel.png)",
    "<svg><script>alert(1)</script></svg>",
    "<scr<script>ipt>alert(1)</script>",
    "<a href=x onmouseover=alert(1)>x</a>",
    "{{ config }}{% print 7*7 %}<!--",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
]

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
NEVER = {"iframe", "object", "embed", "base", "style", "frame", "frameset", "applet", "svg", "math"}
HEAD_ONLY = {"meta", "link", "title"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "srcset", "xlink:href", "background"}
FETCHED = {"src", "srcset", "data", "poster", "background"}  # a browser requests these by itself


class LiveMarkup(HTMLParser):
    """Collects markup no staff input may produce: scripts but the shop's own, event handlers, style,
    dangerous URLs, frames, and requests or forms aimed at another host."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        if tag in NEVER or (tag in HEAD_ONLY and not self.in_head):
            self.problems.append(f"<{tag}>")
        if tag == "script" and not (attributes.get("type") == "application/ld+json"
                                    or (attributes.get("src") or "").startswith("/static/")):
            self.problems.append(f"<script {attributes}>")
        if tag == "form" and not (attributes.get("action") or "/").startswith("/") or (
                tag == "form" and (attributes.get("action") or "").startswith("//")):
            self.problems.append(f"<form action={attributes.get('action')!r}>")
        for name, value in attributes.items():
            value = (value or "").strip().lower()
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value.replace("\t", "").replace("\n", "").startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in FETCHED and urlsplit(value).netloc not in ("", "localhost"):
                self.problems.append(f"<{tag} {name}={value!r}> (outside request)")

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def live_markup(html: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.problems
