"""Jinja's environment for the shop: templates escape their output without markupsafe's slow path.

A template's `{{ value }}` compiles to `escape(value)`, and markupsafe's escape wraps its result in
Markup, whose constructor asks the string for `__html__`: on a plain str that lookup fails,
raising and formatting an AttributeError, which made one escaped value cost about 6,000 CPU
instructions instead of 1,300. A product page outputs some 150 values. Output is joined into one
string, so it needs the escaped text, not a Markup: plain strings and integers are escaped here,
everything else (Markup and other objects with `__html__`, None) still goes through markupsafe.

Output is also kept ASCII: characters beyond it become character references (`&#183;`). A page
holding a single "·" was stored by Python as a wider string and cost ten times as much to encode
as UTF-8 when it was sent (157,000 instructions for a product page, against 17,000). Templates
write such characters as entities (tests/core/test_templating.py checks), and stored Markdown
HTML is saved in the same form (app/markup.py). Values printed inside a <script> element are
not decoded by the browser: JSON there goes through app.pages.structured_data.script_json.
"""
from __future__ import annotations

from collections import ChainMap
from typing import Any

from flask.templating import Environment
from jinja2 import Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import new_context
from markupsafe import Markup, _escape_inner, escape  # _escape_inner: markupsafe's own C escaping; pinned


def escape_output(value: Any) -> str:
    kind = type(value)
    if kind is str:
        escaped = _escape_inner(value)
        return escaped if escaped.isascii() else ascii_html(escaped)
    if kind is int:
        return str(value)
    if kind is Markup:  # safe already; markupsafe would copy it into a new Markup
        return value
    return escape(value)


def ascii_html(html: str) -> str:
    """HTML text with each non-ASCII character written as a character reference."""
    return html.encode("ascii", "xmlcharrefreplace").decode("ascii")


class ShopTemplate(Template):
    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):  # noqa: A002 (Jinja's name)
        template = super().from_code(environment, code, globals, uptodate)
        # The compiled module imported `escape` from jinja2.runtime; its functions read it from
        # the module's namespace, which they all share.
        template.root_render_func.__globals__["escape"] = escape_output
        return template

    def new_context(self, vars=None, shared=False, locals=None):  # noqa: A002 (Jinja's names)
        # A template's globals are a ChainMap of its own (none, in this shop) over the
        # environment's; copying a ChainMap into a context costs a raised KeyError per global.
        globals = self.globals
        if isinstance(globals, ChainMap) and len(globals.maps) == 2 and not globals.maps[0]:
            globals = globals.maps[1]
        return new_context(self.environment, self.name, self.blocks, vars, shared, globals, locals)


class ShopCodeGenerator(CodeGenerator):
    """Jinja's code generator (Environment.code_generator_class), yielding each run of text and
    values as one joined string rather than one yield per piece. A page's body yields from
    inside its layout, so each piece passed through three generators, about 550 instructions a
    piece, and a product page has some 300: this saved it 3% of its time. Output is unchanged.
    """

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or frame.require_output_check or _output_runs(node) < 2:
            return super().visit_Output(node, frame)
        # Jinja writes the pieces into a buffer when it has one (as in a macro): give it one.
        frame.buffer = buffer = self.temporary_identifier()
        self.writeline(f"{buffer} = []")
        try:
            super().visit_Output(node, frame)
        finally:
            frame.buffer = None
        self.writeline(f"yield environment.concat({buffer})")


def _output_runs(node: nodes.Output) -> int:
    """How many pieces Jinja will output for node: each value, and each run of plain text."""
    runs, in_text = 0, False
    for child in node.nodes:
        is_text = isinstance(child, nodes.TemplateData)
        runs += not (is_text and in_text)
        in_text = is_text
    return runs


class ShopEnvironment(Environment):
    template_class = ShopTemplate
    code_generator_class = ShopCodeGenerator
