"""The baseline for bench/load.py: a bare Flask hello world, served by the same gunicorn settings.

Every shop page's requests/s is reported as a ratio of this app's, so the ratio measures what the
shop adds on top of Flask and gunicorn on this machine, not how fast the machine is.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
