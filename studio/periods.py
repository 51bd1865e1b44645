"""A report's period and a month from the query string: the one way pages, exports and the API
read them."""
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .forms import DateInput

MAX_REPORT_DAYS = 366  # the longest period a report that caps it adds up (a year and a day)


class PeriodForm(forms.Form):
    """?start= and ?end= (YYYY-MM-DD, the store's local days) of a report or a list.

    Left out: this month so far (the 1st to today), or no bound on a list (`open_ended`). Not a
    date: an error on its field (pages answer 400, the API 400 with the field's error), and
    `period()` is this month so far. An end before the start: the two are swapped (the days
    between them are meant). Longer than `max_days`, where the report caps it: an error."""

    start = forms.DateField(label=gettext_lazy("开始日期"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("结束日期"), required=False, widget=DateInput())
    open_ended = False  # a list's date filter: a bound left out is no bound
    max_days: int | None = None

    def __init__(self, data=None, *args, max_days: int | None = None, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        if max_days is not None:
            self.max_days = max_days

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:  # a bound that is not a date: nothing to swap or measure
            return data
        start, end = data.get("start"), data.get("end")
        if not self.open_ended:
            default_start, default_end = this_month_so_far()
            start, end = start or default_start, end or default_end
        if start and end and end < start:
            start, end = end, start
        if self.max_days and start and end and (end - start).days >= self.max_days:
            self.add_error("end", _("统计区间最长 %(days)d 天。") % {"days": self.max_days})
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date | None, date | None]:
        """(start, end) as asked, or this month so far where it cannot be read."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return (None, None) if self.open_ended else this_month_so_far()

    def period_or_raise(self) -> tuple[date | None, date | None]:
        """(start, end), or ValidationError with each field's errors (the API's 400)."""
        if not self.is_valid():
            raise ValidationError(self.errors.as_data())
        return self.period()


def this_month_so_far(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today.replace(day=1), today


def month_parse(text: str | None) -> date | None:
    """"2025-03" (a month picker's value) as its first day; None when it is not a month."""
    try:
        return date.fromisoformat(f"{(text or '').strip()}-01")
    except ValueError:
        return None
