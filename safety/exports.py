"""Excel export of any list: the table's own columns and values, openpyxl in write-only mode."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall-clock time the user sees on screen.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, date)) or value is None:
        return value
    return str(value)


def write_xlsx(fileobj, *, sheet_title: str, headers: list[str], rows: Iterable[Iterable[Any]]) -> int:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31] or "Sheet1")
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=str(h))
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)
    n = 0
    for row in rows:
        ws.append([_cell_value(v) for v in row])
        n += 1
    wb.save(fileobj)
    return n


def table_rows(table) -> tuple[list[str], Iterable[list[Any]]]:
    """Headers and rows of a django-tables2 table, excluding columns marked ``exclude_from_export``."""
    values = table.as_values(exclude_columns=getattr(table, "exclude_from_export", ()))
    headers = [str(h) for h in next(values)]
    return headers, values


def xlsx_response(*, filename: str, sheet_title: str, headers: list[str], rows: Iterable[Iterable[Any]]):
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx(spool, sheet_title=sheet_title, headers=headers, rows=rows)
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(spool, as_attachment=True, filename=f"{filename}-{stamp}.xlsx", content_type=EXCEL_MIME)


def export_table(table, *, filename: str, sheet_title: str | None = None):
    headers, rows = table_rows(table)
    return xlsx_response(filename=filename, sheet_title=sheet_title or filename, headers=headers, rows=rows)
