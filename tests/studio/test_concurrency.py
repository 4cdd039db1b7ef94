"""Two editors saving the same version at the same moment, and two scheduled runs at once: one
wins each time, on PostgreSQL where both really run together."""
from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.studio.models import Revision
from app.studio.publishing import publish_due
from tests.conftest import postgres_only, run_at_once, signed_in_staff

pytestmark = postgres_only


def test_two_saves_of_one_version_keep_one_and_tell_the_other(committed_app):
    editors = signed_in_staff(committed_app, 2, role="marketing")
    form = {"version": "0", "note": "", "title": "Privacy policy", "slug": "privacy", "summary": "", "body": "Text.",
            "effective_on": ""}

    def save(index: int):
        return editors[index].post("/admin/content/pages/1", data={**form, "summary": f"Editor {index}"})

    answers = run_at_once(2, save)
    assert sorted(answer.status_code for answer in answers) == [200, 303]
    told = next(answer for answer in answers if answer.status_code == 200).get_data(as_text=True)
    assert "saved this while you were editing" in told
    with committed_app.app_context():
        assert db.session.scalars(select(Revision.number).where(Revision.kind == "page")).all() == [1]


def test_two_scheduled_runs_at_once_publish_each_revision_once(committed_app):
    editor = signed_in_staff(committed_app, 1, role="marketing")[0]
    editor.post("/admin/content/pages/1", data={"version": "0", "title": "Privacy policy", "slug": "privacy",
                                                "summary": "From Monday.", "body": "Text.", "effective_on": ""})
    with committed_app.app_context():
        revision = db.session.scalars(select(Revision)).one()
        revision.publish_at, revision.scheduled_by = utcnow() - timedelta(minutes=1), "marketing@tidewater.example"
        db.session.commit()

    def run(_):
        with committed_app.app_context():
            published = publish_due(db.session, now=utcnow())
            db.session.commit()
            return len(published)

    assert sorted(run_at_once(2, run)) == [0, 1]
