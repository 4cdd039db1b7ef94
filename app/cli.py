"""Every `flask` command of the shop; commands call services and own the commit."""
import click
from flask import Flask

from app.demo import load_demo_data
from app.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo catalogue, Learn articles and pages into an empty database."""
        if load_demo_data(db.session):
            db.session.commit()
            click.echo("Demo data loaded.")
        else:
            click.echo("The shop already has products; demo data left alone.")
