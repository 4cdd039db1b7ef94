"""Every `flask` command of the shop; commands call services and own the commit."""
import click
from flask import Flask

from app.accounts import services as accounts
from app.demo import DEMO_STAFF, load_demo_data
from app.extensions import db
from app.mail.services import commit_then_send, deliver_outbox
from app.orders import payment_journey as journey
from app.orders.gateway import PaymentServiceUnavailable
from app.orders.services import awaiting_provider, stale_checkouts
from app.payments.gateway import get_gateway
from app.reviews.services import send_review_invitations
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
    def expire_checkouts(grace_minutes: int) -> None:
        """Cancel unpaid orders whose checkout has expired, releasing their stock (cron-safe)."""
        gateway = get_gateway()
        cancelled = _each_order(
            stale_checkouts(db.session, grace_minutes=grace_minutes),
            lambda order: journey.abandon(db.session, gateway=gateway, order_id=order.id, actor="cron",
                                          reason="The checkout expired without payment."),
        )
        click.echo(f"Cancelled {cancelled} expired order(s).")

    @app.cli.command("reconcile-payments")
    def reconcile_payments() -> None:
        """Ask the payment provider about every order awaiting payment, and apply what it says."""
        gateway = get_gateway()

        def settle(order) -> bool:
            outcome = journey.confirm(db.session, gateway=gateway, order_id=order.id, actor="reconciliation")
            return not outcome.startswith("no change")

        click.echo(f"Reconciled {_each_order(awaiting_provider(db.session), settle)} order(s).")

    @app.cli.command("send-review-invitations")
    def send_review_invitations_command() -> None:
        """Invite buyers to review orders shipped REVIEW_INVITATION_DAYS ago, once per order (cron-safe)."""
        if not app.config["SHOP_URL"]:
            raise click.ClickException("Set SHOP_URL: the invitations link to the shop by its public address.")
        sent = send_review_invitations(db.session)
        commit_then_send(db.session)
        click.echo(f"Sent {sent} review invitation(s).")

    @app.cli.command("send-mail")
    def send_mail() -> None:
        """Send queued email that has not gone out yet (retries failures)."""
        sent = deliver_outbox(db.session)
        db.session.commit()
        click.echo(f"Sent {sent} message(s).")


def _each_order(orders, work) -> int:
    """Run work(order) for each order in its own transaction, then send the mail it queued.

    An unreachable payment provider skips that order (cron tries again next time) and says so.
    """
    done = 0
    for order in orders:
        try:
            done += bool(work(order))
        except PaymentServiceUnavailable as error:
            db.session.rollback()
            click.echo(f"{order.number}: payment service unavailable ({error}); will retry.", err=True)
            continue
        db.session.commit()
    commit_then_send(db.session)
    return done
