"""The calibration page for bench/load.py: a bare one-query Flask + SQLAlchemy + Jinja list page.

The issue's targets are "what such a page reaches"; measuring it in the same run, on the same
demo database, shows what that means on this machine. It lists the shop's products by name
from DATABASE_URL with one ORM query and a minimal template; no layout, sessions or extensions.
"""
import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Product(db.Model):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(300))


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><main><h1>Products</h1><ul>{% for product in products %}
<li><a href="/products/{{ product.slug }}">{{ product.name }}</a> {{ product.summary }}</li>
{% endfor %}</ul></main></body></html>"""

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db.init_app(app)
template = app.jinja_env.from_string(PAGE)  # compiled once, as a template file would be


@app.get("/")
def product_list():
    products = db.session.scalars(select(Product).order_by(Product.name)).all()
    return template.render(products=products)
