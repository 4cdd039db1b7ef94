"""No framework patches (issue 16): app/ and config.py use each library through its public,
documented API, so that an upgrade is a version number and a test run, not a research project.

Checked with the `ast` module (no app code runs):

1. No private name of a third-party package: no `from flask_limiter._compat import ...`,
   `import markupsafe._speedups`, `from markupsafe import _escape_inner`, `markupsafe._x`, nor
   `g._login_user` on something imported from one (PRIVATE_BUT_DOCUMENTED aside).
2. No class that subclasses a third-party class unless the base is a documented extension point
   (DOCUMENTED_BASES), and even then no override of an underscore-named method.
3. No assignment to an attribute of a third-party module or class (monkeypatching), and no use
   of the registries Flask documents as internal ("should not be modified directly"):
   register hooks, processors and handlers with their decorators.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"app", "config", "tests", "bench", "migrations"}

# Bases the libraries document as made to be subclassed, by their public import path.
DOCUMENTED_BASES = {
    # Flask-WTF / WTForms: forms are declared by subclassing; custom fields override
    # process_formdata (wtforms "Custom Fields").
    "flask_wtf.FlaskForm", "wtforms.Form", "wtforms.IntegerField",
    # SQLAlchemy: the declarative base, custom types (TypeDecorator, "Augmenting Existing
    # Types") and SQL constructs compiled with sqlalchemy.ext.compiler (FunctionElement).
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.types.TypeDecorator",
    "sqlalchemy.sql.functions.FunctionElement",
    # Flask-Login: the documented mixin a user model inherits.
    "flask_login.UserMixin",
    # werkzeug: custom URL converters ("Custom Converters"), here the int one with a maximum.
    "werkzeug.routing.IntegerConverter",
}

# Underscore names that the library's own documentation tells users to call.
PRIVATE_BUT_DOCUMENTED = {
    # werkzeug.local.LocalProxy: documented; Flask's docs use it to pass the real app to a
    # thread or signal (app/accounts/routes.py sends mail after the response closes).
    "_get_current_object",
}


# Flask's Scaffold attributes documented "This data structure is internal. It should not be
# modified directly and its format may change at any time."
# Module settings a library documents as the way to configure it, by owner and name.
DOCUMENTED_SETTINGS = {
    # Pillow, Image.open: "MAX_IMAGE_PIXELS ... to protect against decompression bombs"; the
    # upload check sets its own limit (app/catalog/images.py).
    ("PIL.Image", "MAX_IMAGE_PIXELS"),
}

FLASK_INTERNAL_REGISTRIES = {
    "view_functions", "error_handler_spec", "before_request_funcs", "after_request_funcs",
    "teardown_request_funcs", "template_context_processors", "url_value_preprocessors",
    "url_default_functions", "teardown_appcontext_funcs", "shell_context_processors",
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _top(module: str) -> str:
    return module.split(".")[0]


def _third_party(module: str) -> bool:
    top = _top(module)
    return bool(top) and top not in FIRST_PARTY and top not in sys.stdlib_module_names


@dataclass
class Findings:
    path: str
    problems: list[str] = field(default_factory=list)

    def add(self, node: ast.AST, message: str) -> None:
        self.problems.append(f"{self.path}:{getattr(node, 'lineno', '?')}: {message}")


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted third-party origin ('markupsafe', 'flask.g', 'flask_login.LoginManager')."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _third_party(alias.name):
                    # `import a.b` binds a; `import a.b as c` binds c to a.b.
                    names[alias.asname or _top(alias.name)] = alias.name if alias.asname else _top(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _third_party(node.module):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.AST, imports: dict[str, str]) -> str | None:
    """The third-party dotted path an expression like `flask_login.LoginManager` names, if any."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in imports:
        return ".".join([imports[node.id], *reversed(parts)])
    return None


def _resolve(dotted: str):
    """The object a dotted path names (a module, or an attribute of one), or None."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            thing = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                thing = getattr(thing, part)
        except AttributeError:
            return None
        return thing
    return None


def _public_path(base: object) -> set[str]:
    return {f"{base.__module__}.{base.__qualname__}"} if isinstance(base, type) else set()


def _documented(dotted: str) -> bool:
    if dotted in DOCUMENTED_BASES:
        return True
    documented = {_resolve(name) for name in DOCUMENTED_BASES}
    return _resolve(dotted) in documented - {None}


def check_source(source: str, path: str = "<source>") -> list[str]:
    tree = ast.parse(source)
    findings = Findings(path)
    imports = _imports(tree)
    for node in ast.walk(tree):
        # 1. Private names of third-party packages.
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _third_party(alias.name) and any(_is_private(part) for part in alias.name.split(".")):
                    findings.add(node, f"imports the private module {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _third_party(node.module):
            if any(_is_private(part) for part in node.module.split(".")):
                findings.add(node, f"imports from the private module {node.module}")
            for alias in node.names:
                if _is_private(alias.name):
                    findings.add(node, f"imports the private name {alias.name} from {node.module}")
        elif isinstance(node, ast.Attribute) and _is_private(node.attr) and node.attr not in PRIVATE_BUT_DOCUMENTED:
            owner = _dotted(node.value, imports)
            if owner is not None:
                findings.add(node, f"reads the private attribute {node.attr} of {owner}")
        # 2. Subclasses of third-party classes.
        elif isinstance(node, ast.ClassDef):
            third_party_bases = [dotted for base in node.bases if (dotted := _dotted(base, imports))]
            for dotted in third_party_bases:
                if not _documented(dotted):
                    findings.add(node, f"class {node.name} subclasses {dotted}, which is not a documented "
                                       "extension point (DOCUMENTED_BASES)")
            if third_party_bases:
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_private(item.name):
                        findings.add(item, f"class {node.name} overrides {item.name} of {third_party_bases[0]}")
        # 3. Flask's internal registries, and monkeypatching.
        if isinstance(node, ast.Attribute) and node.attr in FLASK_INTERNAL_REGISTRIES:
            findings.add(node, f"uses Flask's internal {node.attr}: register through its decorator")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and (owner := _dotted(target.value, imports)):
                    resolved = _resolve(owner)
                    if (owner, target.attr) in DOCUMENTED_SETTINGS:
                        continue
                    if inspect.ismodule(resolved) or isinstance(resolved, type):
                        findings.add(target, f"assigns {target.attr} on {owner}")
    return findings.problems


def _sources() -> list[Path]:
    return sorted((ROOT / "app").rglob("*.py")) + [ROOT / "config.py"]


def test_the_app_patches_no_framework():
    problems = [problem for path in _sources()
                for problem in check_source(path.read_text(), str(path.relative_to(ROOT)))]
    assert problems == []


@pytest.mark.parametrize("source", [
    "from markupsafe import _escape_inner",
    "from flask_limiter._compat import request_context",
    "import markupsafe._speedups",
    "import markupsafe\nmarkupsafe._escape_inner('x')",
    "import flask_login as fl\nfl.utils._get_user()",
    "from flask import g\ng._login_user = None",
    "from flask import Flask\nclass Shop(Flask):\n    pass",
    "import flask\nclass Shop(flask.Flask):\n    def url_for(self, endpoint):\n        pass",
    "from flask.sessions import SecureCookieSessionInterface as S\nclass C(S):\n    pass",
    "from jinja2.compiler import CodeGenerator\nclass G(CodeGenerator):\n    pass",
    "from itsdangerous import Signer\nclass S(Signer):\n    pass",
    "from flask_wtf import FlaskForm\nclass F(FlaskForm):\n    def _private(self):\n        pass",
    "import markupsafe\nmarkupsafe.escape = str",
    "from jinja2 import Environment\nEnvironment.code_generator_class = object",
    "def f(app):\n    app.before_request_funcs[None].remove(g)",
    "def f(app):\n    app.template_context_processors[None].pop()",
])
def test_the_check_finds_a_patch(source):
    assert check_source(source) != []


@pytest.mark.parametrize("source", [
    "from flask_wtf import FlaskForm\nclass F(FlaskForm):\n    def validate_email(self, field):\n        pass",
    "from sqlalchemy.orm import DeclarativeBase\nclass Base(DeclarativeBase):\n    pass",
    "from flask import current_app\napp = current_app._get_current_object()",
    "from flask import g\ng.cart_token = None",
    "from app.db import Base\nclass Model(Base):\n    def _helper(self):\n        pass",
    "class Local:\n    def _helper(self):\n        pass",
    "from markupsafe import __version__",
    "from PIL import Image\nImage.MAX_IMAGE_PIXELS = 36_000_000",
])
def test_the_check_allows_documented_use(source):
    assert check_source(source) == []
