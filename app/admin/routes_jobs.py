"""Failed background jobs (admins): what failed, why, how often; "Retry" runs one once more."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from redis.exceptions import RedisError

from app.admin import bp, services
from app.admin.forms import RetryJobForm
from app.extensions import db
from app.jobs.queue import JobNotFailed, failed_jobs, redis_connection, retry_failed_job
from app.security import role_required

REDIS_DOWN = "Redis is not answering, so the job queue cannot be read: check REDIS_URL and the Redis server."


@bp.get("/jobs")
@role_required()
def failed_job_list():
    connection, jobs, total, problem = redis_connection(), [], 0, ""
    if connection is not None:
        try:
            jobs, total = failed_jobs(connection)
        except RedisError:
            problem = REDIS_DOWN
    return render_template("admin/jobs.html", inline=connection is None, jobs=jobs, total=total,
                           problem=problem, retry_form=RetryJobForm())


@bp.post("/jobs/<job_id>/retry")
@role_required()
def failed_job_retry(job_id: str):
    connection = redis_connection()
    if connection is None:
        abort(404)
    if RetryJobForm().validate_on_submit():
        try:
            job = retry_failed_job(connection, job_id)
        except JobNotFailed as error:
            flash(str(error), "error")
        except RedisError:
            flash(REDIS_DOWN, "error")
        else:
            services.audit(db.session, actor=current_user, action="job.retry", obj_type="job", obj_id=job.id,
                           before={"function": job.function, "arguments": job.arguments, "error": job.error,
                                   "attempts": job.attempts})
            db.session.commit()
            flash(f"{job.function} ({job.arguments}) is queued to run once more.", "success")
    return redirect(url_for("admin.failed_job_list"), code=303)
