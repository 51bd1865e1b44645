"""Template helpers shared by every page: Bootstrap classes on form fields, cell formatting."""
from datetime import date, datetime
from decimal import Decimal

from django import forms, template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def bs(field):
    """Render a form field with Bootstrap's class for its widget."""
    widget = field.field.widget
    css = ("form-select form-select-sm" if isinstance(widget, forms.Select)
           else "form-check-input" if isinstance(widget, forms.CheckboxInput)
           else "form-control form-control-sm")
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def cell(value):
    """A list cell: ¥ amounts, local dates and times, 是/否， and '-' for nothing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return format_html('<span class="badge text-bg-danger">{}</span>', _("逾期")) if value else ""
    if isinstance(value, Decimal):
        return f"¥{value:,.2f}"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return value


@register.filter
def cells(values):
    """`<td>` cells of a row of values, each formatted as `cell` does: one filter per row, not
    a template loop per cell (a 50-row page of a dozen columns renders in a fraction)."""
    return format_html_join("", "<td>{}</td>", ((cell(value),) for value in values))


@register.filter
def money(value):
    return f"¥{value:,.2f}" if value is not None else "-"
