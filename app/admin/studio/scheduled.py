"""The scheduled publishing job: here, beside the studio's screens, as each publication is audit-logged
like one made by hand (and only admin may import the audit log)."""
from __future__ import annotations

from types import SimpleNamespace

from app.admin.services import audit
from app.db import utcnow
from app.extensions import db
from app.jobs.queue import background
from app.studio.items import readable
from app.studio.publishing import publish_due


@background
def publish_scheduled() -> int:
    """Publish the drafts whose time has come, each with its audit entry; returns how many."""
    published = publish_due(db.session, now=utcnow())
    for done in published:
        revision = done.revision
        audit(db.session, actor=SimpleNamespace(id=None, email=f"{revision.published_by} (scheduled)"),
              action=f"{revision.kind}.publish", obj_type=revision.kind, obj_id=revision.object_id,
              before=readable(revision.kind, done.before), after=readable(revision.kind, done.after))
    db.session.commit()
    return len(published)
