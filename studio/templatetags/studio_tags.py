"""Template helpers shared by every page: the components' tags (`{% component %}` with
`{% slot %}`), Bootstrap classes on form fields (for templates/components/field.html alone), cell
formatting."""
from datetime import date, datetime
from decimal import Decimal

from django import forms, template
from django.forms.boundfield import BoundWidget
from django.template.base import Node, NodeList, token_kwargs
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

CHOICE_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)  # one check box per choice


def _widget_css(field) -> str:
    widget = field.field.widget
    base = ("form-check-input" if isinstance(widget, (forms.CheckboxInput, *CHOICE_WIDGETS))
            else "form-select form-select-sm" if isinstance(widget, forms.Select)
            else "form-control form-control-sm")
    own = widget.attrs.get("class", "").split()  # a form's own extra classes (text-end, …)
    css = base.split() + [c for c in own if c not in base.split()]
    if field.errors:
        css.append("is-invalid")
    return " ".join(css)


@register.filter
def field_kind(field) -> str:
    """How components/field.html lays a field out: hidden, check, choices (one box per choice,
    `multiple` when several may be ticked) or input."""
    widget = field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxInput):
        return "check"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "multiple"
    if isinstance(widget, forms.RadioSelect):
        return "choices"
    return "input"


@register.filter
def bs(field):
    """The field's widget with Bootstrap's classes (and is-invalid when it has errors). Used by
    templates/components/field.html, through which every form field renders."""
    return field.as_widget(attrs={"class": _widget_css(field)})


@register.filter
def bs_choices(field) -> list[BoundWidget]:
    """The check boxes or radio buttons of a choice field, each with Bootstrap's class."""
    widget = field.field.widget
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    attrs["class"] = _widget_css(field)
    return [BoundWidget(widget, sub, field.form.renderer)
            for sub in widget.subwidgets(field.html_name, field.value(), attrs=attrs)]


# --- components with slots ---------------------------------------------------------------------
# {% component "stat_card" label=… value=… %}{% slot "sub" %}…{% endslot %}{% endcomponent %}
# renders templates/components/stat_card.html with the keyword arguments and each slot (rendered
# in the caller's context) as variables, and nothing else of the caller's context. Slots sit at
# the top level of the component's body; what is outside them is ignored. Components without
# slots are plain includes: {% include "components/field.html" with field=… %}.


class SlotNode(Node):
    def __init__(self, name, nodelist: NodeList) -> None:
        self.name, self.nodelist = name, nodelist

    def render(self, context) -> str:  # rendered by its component, not where it stands
        return ""


class ComponentNode(Node):
    def __init__(self, name, kwargs: dict, nodelist: NodeList) -> None:
        self.name, self.kwargs, self.nodelist = name, kwargs, nodelist

    def render(self, context) -> str:
        values = {key: value.resolve(context) for key, value in self.kwargs.items()}
        for node in self.nodelist:
            if isinstance(node, SlotNode):
                # Rendered (and escaped) here: safe as it is, and still safe once stripped.
                values[node.name.resolve(context)] = mark_safe(node.nodelist.render(context).strip())
        component = context.template.engine.get_template(
            f"components/{self.name.resolve(context)}.html")
        return component.render(context.new(values))


@register.tag("component")
def do_component(parser, token) -> ComponentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% component %} needs the component's name")
    name = parser.compile_filter(bits[1])
    kwargs = token_kwargs(bits[2:], parser)
    if len(kwargs) != len(bits) - 2:
        raise template.TemplateSyntaxError("{% component %} takes name=value arguments only")
    nodelist = parser.parse(("endcomponent",))
    parser.delete_first_token()
    return ComponentNode(name, kwargs, nodelist)


@register.tag("slot")
def do_slot(parser, token) -> SlotNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% slot %} takes the slot's name")
    nodelist = parser.parse(("endslot",))
    parser.delete_first_token()
    return SlotNode(parser.compile_filter(bits[1]), nodelist)


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
    """¥1,234.50; a negative amount as -¥92,001.00 (one format for every page)."""
    if value is None:
        return "-"
    return f"-¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"
