"""The review form a buyer fills in, and the staff's moderation and reply forms."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.reviews.models import (
    BODY_LENGTH, CITY_LENGTH, NAME_LENGTH, RATINGS, REPLY_LENGTH, TITLE_LENGTH, HoldReason, ReviewStatus,
)

STAR_LABELS = {1: "1 star: poor", 2: "2 stars: fair", 3: "3 stars: good", 4: "4 stars: very good",
               5: "5 stars: excellent"}


class ReviewForm(FlaskForm):
    rating = RadioField("Your rating", coerce=int, choices=[SelectChoice(stars, STAR_LABELS[stars]) for stars in reversed(RATINGS)],
                        validators=[DataRequired("Choose a rating from 1 to 5 stars.")])
    title = StringField("Title", validators=[DataRequired("Give your review a title."), Length(max=TITLE_LENGTH)])
    body = TextAreaField("Your review", validators=[
        DataRequired("Write your review."),
        Length(min=10, max=BODY_LENGTH, message=f"Write from 10 to {BODY_LENGTH} characters.")])
    first_name = StringField("First name (optional, shown)", validators=[Optional(), Length(max=NAME_LENGTH)])
    city = StringField("City (optional, shown)", validators=[Optional(), Length(max=CITY_LENGTH)])


class ModerationForm(FlaskForm):
    status = RadioField("Decision", choices=[
        SelectChoice(ReviewStatus.published.value, "Publish"),
        SelectChoice(ReviewStatus.held.value, "Hold (hidden until decided)"),
        SelectChoice(ReviewStatus.rejected.value, "Reject"),
    ], validators=[DataRequired("Choose publish, hold or reject.")])
    reason = RadioField("Reason, from the review policy (to hold or reject)",
                        choices=[SelectChoice(reason.value, reason.label) for reason in HoldReason], validators=[Optional()])
    note = TextAreaField("Note to the reviewer (emailed to them)", validators=[Optional(), Length(max=500)])


class ReplyForm(FlaskForm):
    reply = TextAreaField("Public reply (shown under the review; leave empty to remove it)",
                          validators=[Optional(), Length(max=REPLY_LENGTH)])
