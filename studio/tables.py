"""A row of templates/components/table.html: the lists defined by their columns."""
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    cells: list[Any]  # the values, in the columns' order (formatted by the `cells` filter)
    href: str = ""  # the first cell links there
    select: Any = None  # the value of the row's check box, when the table has one
