"""The studio's forms: shape checks only; the studio's services own the rules."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (DateField, DateTimeLocalField, FieldList, Form, FormField, HiddenField, IntegerField,
                     SelectMultipleField, StringField, TextAreaField, ValidationError)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.admin.forms import SLUG, ProductCopyFields, date_in_range
from app.catalog.services import PRODUCT_COPY
from app.forms import WholeNumberRange

NOTE = "Note (optional: what changed and why)"


def checkboxes(label: str, **options) -> SelectMultipleField:
    """A list of checkboxes: easier than a multiple select on a phone and for a screen reader."""
    return SelectMultipleField(label, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                               choices=[], **options)


class VersionedForm(FlaskForm):
    """Every editor form carries the revision number it was opened at (optimistic locking)."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired("Reload the page and try again."),
                                                                  WholeNumberRange(min=0, max=1_000_000)])
    note = StringField(NOTE, validators=[Length(max=300)])

    def copy_fields(self) -> dict:
        raise NotImplementedError

    def fill(self, fields: dict) -> None:
        for name, value in fields.items():
            if name in self._fields:
                self[name].data = value


class ProductCopyForm(ProductCopyFields, VersionedForm):
    articles = checkboxes("Related Learn articles")

    def copy_fields(self) -> dict:
        return {name: self[name].data or "" for name in PRODUCT_COPY} | {"articles": sorted(self.articles.data or [])}


class SourceForm(Form):
    authors = StringField("Authors", validators=[Length(max=300)])
    title = StringField("Title", validators=[Length(max=300)])
    publisher = StringField("Publisher or journal", validators=[Length(max=200)])
    year = IntegerField("Year", validators=[Optional(), WholeNumberRange(min=1800, max=2999)])
    url = StringField("Web address (URL)", validators=[Optional(), Length(max=500),
                                                      Regexp(r"^https?://\S+$", message="Start the URL with https://.")])
    doi = StringField("DOI", validators=[Optional(), Length(max=200)])


class ArticleForm(VersionedForm):
    title = StringField("Title", validators=[DataRequired("Enter a title."), Length(max=200)])
    slug = StringField("Web address (slug)", validators=[DataRequired("Enter a slug."), Length(max=120), SLUG])
    summary = TextAreaField("Summary", validators=[Length(max=300)])
    body = TextAreaField("Body (Markdown)", validators=[Length(max=50000)])
    sources = FieldList(FormField(SourceForm), min_entries=1, max_entries=30)
    reviewed_on = DateField("Last reviewed on", validators=[InputRequired("Enter the review date."), date_in_range])
    reviewed_by = StringField("Reviewed by", validators=[Length(max=120)])
    products = checkboxes("Related products")

    def copy_fields(self) -> dict:
        sources = [{key: value for key, value in entry.data.items() if value not in ("", None)}
                   for entry in self.sources]
        return {"title": self.title.data, "slug": self.slug.data, "summary": self.summary.data or "",
                "body": self.body.data or "", "sources": [source for source in sources if source],
                "reviewed_on": self.reviewed_on.data.isoformat(), "reviewed_by": self.reviewed_by.data or "",
                "products": sorted(self.products.data or [])}

    def fill(self, fields: dict) -> None:
        super().fill({name: value for name, value in fields.items() if name not in ("sources", "reviewed_on")})
        self.reviewed_on.data = date.fromisoformat(fields["reviewed_on"])
        while self.sources.entries:
            self.sources.pop_entry()
        for source in [*fields.get("sources", []), {}]:  # and one empty row for a new source
            self.sources.append_entry(source)


class PageForm(VersionedForm):
    title = StringField("Title", validators=[DataRequired("Enter a title."), Length(max=200)])
    slug = StringField("Web address (slug)", validators=[DataRequired("Enter a slug."), Length(max=120), SLUG])
    summary = TextAreaField("Summary", validators=[Length(max=300)])
    body = TextAreaField("Body (Markdown)", validators=[Length(max=50000)])
    effective_on = DateField("Effective from", validators=[Optional(), date_in_range])

    def copy_fields(self) -> dict:
        return {"title": self.title.data, "slug": self.slug.data, "summary": self.summary.data or "",
                "body": self.body.data or "",
                "effective_on": self.effective_on.data.isoformat() if self.effective_on.data else ""}

    def fill(self, fields: dict) -> None:
        super().fill({name: value for name, value in fields.items() if name != "effective_on"})
        self.effective_on.data = date.fromisoformat(fields["effective_on"]) if fields.get("effective_on") else None


class HomeForm(VersionedForm):
    eyebrow = StringField("Line above the heading", validators=[Length(max=120)])
    title = StringField("Heading", validators=[DataRequired("Enter a heading."), Length(max=200)])
    lead = TextAreaField("Introduction", validators=[Length(max=400)])
    featured = checkboxes("Featured products")

    def copy_fields(self) -> dict:
        return {"eyebrow": self.eyebrow.data or "", "title": self.title.data, "lead": self.lead.data or "",
                "featured": sorted(self.featured.data or [])}


class NewArticleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title."), Length(max=200)])
    slug = StringField("Web address (slug)", validators=[DataRequired("Enter a slug."), Length(max=120), SLUG])


class PublishForm(FlaskForm):
    """Publish the newest revision now, or schedule it; acknowledging its claims warnings."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired("Reload the page and try again."),
                                                                  WholeNumberRange(min=1, max=1_000_000)])
    acknowledge = checkboxes("I have read these warnings and the text stands as written")
    publish_at = DateTimeLocalField("Publish at (shop time)", format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def validate_publish_at(self, field) -> None:
        if field.data is not None and not 2000 <= field.data.year <= 2999:
            raise ValidationError("Enter a date between 2000 and 2999.")


class ActionForm(FlaskForm):
    """A button that changes something (restore, unpublish, cancel a schedule): CSRF only."""
