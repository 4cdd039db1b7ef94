"""Every `flask` command of the shop; commands call services and own the commit."""

import click
from flask import Flask

from app.accounts import services as accounts
from app.admin.studio.scheduled import publish_scheduled
from app.demo import DEMO_STAFF, load_demo_data
from app.extensions import db
from app.jobs.periodic import OrderSweep, expire_checkouts, invite_reviewers, reconcile_payments
from app.jobs.queue import redis_connection, run_worker
from app.jobs.schedule import scheduler
from app.mail.services import retry_unsent_mail
from app.search.services import rebuild_index


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo catalogue, Learn articles, pages and staff into an empty database."""
        if load_demo_data(db.session):
            db.session.commit()
            click.echo("Demo data loaded.")
        else:
            click.echo("The shop already has products; demo data left alone.")
        if app.config["SHOW_DEMO_SIGN_INS"]:
            click.echo("Demo staff sign-ins (development only), at /account/sign-in:")
            for email, role, password in DEMO_STAFF:
                click.echo(f"  {role.value:<11} {email}  password: {password}")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", envvar="ADMIN_PASSWORD", default=None,
                  help="Defaults to $ADMIN_PASSWORD; asked for if neither is given.")
    def create_admin(email: str, password: str | None) -> None:
        """Create an admin account for EMAIL, or promote an existing account to admin."""
        if not password and not accounts.find_user(db.session, email=email):
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user, created = accounts.create_or_promote_admin(db.session, email=email, password=password)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
        click.echo(f"{'Created' if created else 'Promoted'} admin {user.email}.")

    @app.cli.command("reindex-search")
    def reindex_search() -> None:
        """Rebuild the search index from every product and article: needed only after copy was
        changed outside the app's sessions (a bulk UPDATE, SQL by hand); saves keep it current."""
        count = rebuild_index(db.session)
        db.session.commit()
        click.echo(f"Search index rebuilt: {count} products and articles.")

    @app.cli.command("expire-checkouts")
    @click.option("--grace-minutes", default=5, show_default=True,
                  help="How long past its checkout's expiry an unpaid order waits.")
    def expire_checkouts_command(grace_minutes: int) -> None:
        """Cancel unpaid orders whose checkout has expired, releasing their stock (cron-safe)."""
        sweep = expire_checkouts(grace_minutes)
        _say_unavailable(sweep)
        click.echo(f"Cancelled {sweep.done} expired order(s).")

    @app.cli.command("reconcile-payments")
    def reconcile_payments_command() -> None:
        """Ask the payment provider about every order awaiting payment, and apply what it says."""
        sweep = reconcile_payments()
        _say_unavailable(sweep)
        click.echo(f"Reconciled {sweep.done} order(s).")

    @app.cli.command("send-review-invitations")
    def send_review_invitations_command() -> None:
        """Invite buyers to review orders shipped REVIEW_INVITATION_DAYS ago, once per order (cron-safe)."""
        if not app.config["SHOP_URL"]:
            raise click.ClickException("Set SHOP_URL: the invitations link to the shop by its public address.")
        sent = invite_reviewers()
        click.echo(f"Sent {sent} review invitation(s).")

    @app.cli.command("send-mail")
    def send_mail() -> None:
        """Send queued email that has not gone out yet (retries failures); with Redis, queue a job
        for each message that has none."""
        click.echo(retry_unsent_mail())

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
    def worker(burst: bool) -> None:
        """Run background jobs (email, periodic work) from the Redis queue until stopped."""
        run_worker(_redis_or_explain(), burst=burst)

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Queue the periodic jobs (app/jobs/schedule.py) when due, until stopped. Run one."""
        scheduler(_redis_or_explain()).start()

    @app.cli.command("publish-scheduled")
    def publish_scheduled_command() -> None:
        """Publish the studio's drafts whose scheduled time has come (cron: every 5 minutes)."""
        click.echo(f"Published {publish_scheduled()} scheduled revision(s).")


def _redis_or_explain():
    connection = redis_connection()
    if connection is None:
        raise click.ClickException(
            "REDIS_URL is not set. Without Redis, jobs run inline after each commit and need no worker; "
            "run `flask expire-checkouts`, `flask reconcile-payments` and `flask send-mail` from cron instead.")
    return connection


def _say_unavailable(sweep: OrderSweep) -> None:
    for number in sweep.unavailable:
        click.echo(f"{number}: payment service unavailable; will retry.", err=True)
