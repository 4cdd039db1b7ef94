"""studio: revisions of shop copy, old slugs of articles and pages, a page's effective date, an
article's reviewer, and the home page's hero copy

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "studio_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_email", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledgements", sa.JSON(), nullable=False),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_by", sa.String(length=255), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_studio_revisions_author_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studio_revisions")),
        sa.UniqueConstraint("kind", "object_id", "number", name=op.f("uq_studio_revisions_kind")),
    )
    with op.batch_alter_table("studio_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studio_revisions_publish_at"), ["publish_at"], unique=False)
    op.create_table(
        "content_redirects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("old_slug", sa.String(length=120), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_redirects")),
        sa.UniqueConstraint("kind", "old_slug", name=op.f("uq_content_redirects_kind")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=120), nullable=False, server_default=""))
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
    home_page = op.create_table(
        "home_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("eyebrow", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lead", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_page")),
    )
    # The hero as templates/core/home.html wrote it until the studio could edit it.
    op.bulk_insert(home_page, [{
        "id": 1, "eyebrow": "Small-batch magnesium body care", "title": "Unwind tired muscles at the end of the day",
        "lead": "Rich magnesium creams, a whipped body butter and a cooling travel stick, made for slow evening "
                "massages after long days at a desk or on your feet.",
    }])


def downgrade():
    op.drop_table("home_page")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("effective_on")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("reviewed_by")
    op.drop_table("content_redirects")
    with op.batch_alter_table("studio_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studio_revisions_publish_at"))
    op.drop_table("studio_revisions")
