"""The staff Excel template, the reading and checking of an uploaded file, and the error report.

Reading is strict about the file (an .xlsx with the template's header row, a bounded number of rows) and
checks every row before anything is written: the service (enterprises.services.staff_import) imports the
whole file or nothing. Errors name the Excel row number and the column as the user sees them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import organisation as rules
from .models import Department, Position, Staff
from .validators import validate_phone

DEFAULT_MAX_ROWS = 2000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Rows read at most, blank ones included: a sheet formatted down to row 1,048,576 must not be walked.
MAX_SCANNED_ROWS = 20_000
MAX_COLUMNS = 40


def max_rows() -> int:
    return int(getattr(settings, "STAFF_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    help: Promise
    required: bool = False


# The staff list's columns carry the same labels, so an exported list can be edited and imported again.
COLUMNS: tuple[Column, ...] = (
    Column("name", gettext_lazy("Name"), gettext_lazy("The person's full name."), required=True),
    Column("gender", gettext_lazy("Gender"), gettext_lazy("Male or female; may be left empty.")),
    Column(
        "id_number",
        gettext_lazy("ID card number"),
        gettext_lazy("18 characters; unique within the enterprise; may be left empty. Keep the column as text."),
    ),
    Column("phone", gettext_lazy("Phone"), gettext_lazy("A mobile number or a landline; may be left empty.")),
    Column(
        "department",
        gettext_lazy("Department"),
        gettext_lazy(
            "The name of an existing department; where two departments share a name, write the path from the "
            "top, e.g. Production / Workshop 1. May be left empty."
        ),
    ),
    Column("position", gettext_lazy("Position"), gettext_lazy("The name of an existing position; may be left empty.")),
    Column("hired_on", gettext_lazy("Hired on"), gettext_lazy("A date such as 2024-03-01; may be left empty.")),
    Column(
        "has_certificates",
        gettext_lazy("Holds certificates"),
        gettext_lazy("Yes or no: principal, safety manager or special-operations certificates. Empty means no."),
    ),
    Column(
        "occupational_exposure",
        gettext_lazy("Occupational exposure"),
        gettext_lazy("Yes or no: exposed to occupational hazards. Empty means no."),
    ),
    Column("is_active", gettext_lazy("Employed"), gettext_lazy("Yes or no. Empty means yes.")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
BOOLEAN_DEFAULTS = {"has_certificates": False, "occupational_exposure": False, "is_active": True}

EXAMPLE_NAME = gettext_lazy("Example: Zhang San")
EXAMPLE_ID = "11010519491231002X"


class ImportFileError(Exception):
    """The file as a whole cannot be read as a staff list; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    row: int  # the Excel row number, as the user sees it
    column: str  # the column's header as written in the file ("" for the row as a whole)
    message: str


@dataclass
class Sheet:
    headers: list[str]  # as written in the file
    keys: list[str | None]  # the template column of each header, None for columns we do not read
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (Excel row number, cell values)

    def header_for(self, key: str) -> str:
        return self.headers[self.keys.index(key)]


def _in_every_language(text: Promise) -> set[str]:
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(text))
    return names


def _norm(value: Any) -> str:
    return str(value or "").replace("*", "").replace("\u3000", " ").strip().casefold()


def _header_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for c in COLUMNS:
        keys[c.key] = c.key
        for label in _in_every_language(c.label):
            keys[_norm(label)] = c.key
    return keys


def _is_blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def read_sheet(upload, *, limit: int | None = None) -> Sheet:
    """Read the header row and the non-blank data rows; ImportFileError for a file that cannot be imported."""
    limit = max_rows() if limit is None else limit
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    max_bytes = int(getattr(settings, "STAFF_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    if size > max_bytes:
        raise ImportFileError(_("The file is too large (at most %(mb)d MB).") % {"mb": max_bytes // (1024 * 1024)})
    upload.seek(0)
    magic = upload.read(8)
    upload.seek(0)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This is an old Excel 97–2003 (.xls) file. Open it in Excel or WPS, save it as .xlsx and upload "
                "it again."
            )
        )
    not_xlsx = _(
        "This is not an Excel .xlsx file. Download the template, fill it in and save it as an Excel workbook (.xlsx)."
    )
    if not magic.startswith(b"PK"):
        raise ImportFileError(not_xlsx)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFileError(not_xlsx) from exc
    except Exception as exc:  # openpyxl raises its own InvalidFileException and parser errors for a broken file
        raise ImportFileError(not_xlsx) from exc
    try:
        return _read_rows(workbook, limit)
    finally:
        workbook.close()


def _staff_sheet(workbook):
    titles = {_norm(t) for t in _in_every_language(gettext_lazy("Staff"))}
    for ws in workbook.worksheets:
        if _norm(ws.title) in titles:
            return ws
    return workbook.worksheets[0]


def _read_rows(workbook, limit: int) -> Sheet:
    ws = _staff_sheet(workbook)
    rows = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    header = next(rows, None)
    if header is None or _is_blank(header):
        raise ImportFileError(_("The first row must hold the column headers of the template; it is empty."))
    known = _header_keys()
    headers = [str(h).strip() if h is not None else "" for h in header]
    while headers and not headers[-1]:  # read-only sheets pad rows to the widest one
        headers.pop()
    keys: list[str | None] = []
    for h in headers:
        key = known.get(_norm(h)) if h else None
        keys.append(key if key not in keys else None)  # a repeated column is read once, the first time
    missing = [c for c in COLUMNS if c.key not in keys]
    if missing:
        raise ImportFileError(
            _(
                "This file does not follow the staff template: the columns %(columns)s are missing. Download the "
                "template and copy the data into it."
            )
            % {"columns": "、".join(f"“{c.label}”" for c in missing)}
        )
    sheet = Sheet(headers=headers, keys=keys)
    examples = {_norm(n) for n in _in_every_language(EXAMPLE_NAME)}
    name_at = keys.index("name")
    for number, values in enumerate(rows, start=2):
        if number > MAX_SCANNED_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)d rows; import at most %(max)d people at a time.") % {"max": limit}
            )
        values = list(values) + [None] * (len(headers) - len(values))
        values = values[: len(headers)]
        if _is_blank(values):
            continue
        if _norm(values[name_at]) in examples:
            continue  # the template's example row, left in place
        sheet.rows.append((number, values))
        if len(sheet.rows) > limit:
            raise ImportFileError(
                _("The file has more than %(max)d rows; import at most %(max)d people at a time.") % {"max": limit}
            )
    if not sheet.rows:
        raise ImportFileError(_("The file has no data rows below the header row."))
    return sheet


# ---- cell values ----


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _boolean_words() -> dict[str, bool]:
    words = {"是": True, "否": False, "yes": True, "no": False, "y": True, "n": False, "true": True, "false": False}
    words.update({"1": True, "0": False, "√": True, "✓": True, "×": False, "有": True, "无": False})
    for label in _in_every_language(gettext_lazy("Yes")):
        words[_norm(label)] = True
    for label in _in_every_language(gettext_lazy("No")):
        words[_norm(label)] = False
    return words


def _gender_words() -> dict[str, str]:
    words = {"男": Staff.Gender.MALE, "女": Staff.Gender.FEMALE, "m": Staff.Gender.MALE, "f": Staff.Gender.FEMALE}
    for value, label in Staff.Gender.choices:
        words[value] = value
        for text in _in_every_language(label):
            words[_norm(text)] = value
    return words


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def parse_date(value: Any) -> date | None:
    """A date from an Excel cell: a real date, or text in one of the usual Chinese and ISO forms."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s” is not a date; write it as 2024-03-01."), params={"value": text})


@dataclass
class Lookups:
    """The enterprise's departments and positions by name, and the ID numbers already on its staff list."""

    departments: list[Department]
    positions: list[Position]
    existing_ids: dict[str, str]  # ID number → the name of the person who has it

    def __post_init__(self) -> None:
        paths = rules.paths(self.departments)
        self.department_by_path = {_norm(p): d for d in self.departments if (p := paths[d.pk])}
        self.department_paths = paths
        self.departments_by_name: dict[str, list[Department]] = {}
        for d in self.departments:
            self.departments_by_name.setdefault(_norm(d.name), []).append(d)
        self.position_by_name = {_norm(p.name): p for p in self.positions}

    def department(self, text: str) -> Department:
        if "/" in text or "／" in text:
            parts = [p.strip() for p in text.replace("／", "/").split("/") if p.strip()]
            found = self.department_by_path.get(_norm(rules.PATH_SEPARATOR.join(parts)))
            if found is None:
                raise ValidationError(
                    _("There is no department “%(value)s” in this enterprise; create it first or correct the path."),
                    params={"value": text},
                )
            return found
        found = self.departments_by_name.get(_norm(text), [])
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValidationError(
                _("There is no department named “%(value)s” in this enterprise; create it first or correct the name."),
                params={"value": text},
            )
        raise ValidationError(
            _("Several departments are named “%(value)s”; write the path instead, one of: %(paths)s."),
            params={"value": text, "paths": "; ".join(self.department_paths[d.pk] for d in found)},
        )

    def position(self, text: str) -> Position:
        found = self.position_by_name.get(_norm(text))
        if found is None:
            raise ValidationError(
                _("There is no position named “%(value)s” in this enterprise; create it first or correct the name."),
                params={"value": text},
            )
        return found


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def check_rows(sheet: Sheet, lookups: Lookups) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Every row checked, every problem reported: (the staff field values of each row, the errors)."""
    booleans, genders = _boolean_words(), _gender_words()
    seen_ids: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    errors: list[RowError] = []
    position_of = {key: i for i, key in enumerate(sheet.keys) if key}

    for number, values in sheet.rows:
        cell = {key: values[i] for key, i in position_of.items()}
        data: dict[str, Any] = {}

        def fail(key: str, message: str, number: int = number) -> None:
            errors.append(RowError(number, sheet.header_for(key), message))

        name = _text(cell["name"])
        if not name:
            fail("name", _("The name is required."))
        elif len(name) > 50:
            fail("name", _("At most 50 characters."))
        data["name"] = name

        gender = _text(cell["gender"])
        data["gender"] = ""
        if gender:
            if _norm(gender) in genders:
                data["gender"] = genders[_norm(gender)]
            else:
                fail("gender", _("Write male or female (or leave it empty), not “%(value)s”.") % {"value": gender})

        raw_id = cell["id_number"]
        id_number = rules.normalise_id_number(_text(raw_id))
        data["id_number"] = id_number
        if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
            fail(
                "id_number",
                _(
                    "The ID card number is stored as a number, and Excel rounds long numbers: format the column as "
                    "text and type the number again."
                ),
            )
        elif id_number:
            try:
                rules.validate_id_number(id_number)
            except ValidationError as exc:
                fail("id_number", _message(exc))
            else:
                if id_number in seen_ids:
                    fail("id_number", _("The same ID card number as row %(row)d.") % {"row": seen_ids[id_number]})
                elif id_number in lookups.existing_ids:
                    fail(
                        "id_number",
                        _("%(name)s already has this ID card number on the staff list.")
                        % {"name": lookups.existing_ids[id_number]},
                    )
                seen_ids.setdefault(id_number, number)

        phone = _text(cell["phone"])
        data["phone"] = phone
        if phone:
            try:
                validate_phone(phone)
            except ValidationError as exc:
                fail("phone", _message(exc))

        for key, lookup in (("department", lookups.department), ("position", lookups.position)):
            text = _text(cell[key])
            data[key] = None
            if text:
                try:
                    data[key] = lookup(text)
                except ValidationError as exc:
                    fail(key, _message(exc))

        try:
            data["hired_on"] = parse_date(cell["hired_on"])
        except ValidationError as exc:
            fail("hired_on", _message(exc))

        for key, default in BOOLEAN_DEFAULTS.items():
            raw = cell[key]
            if isinstance(raw, bool):
                data[key] = raw
                continue
            text = _text(raw)
            if not text:
                data[key] = default
            elif _norm(text) in booleans:
                data[key] = booleans[_norm(text)]
            else:
                fail(key, _("Write yes or no (or leave it empty), not “%(value)s”.") % {"value": text})
        results.append(data)
    return results, errors


# ---- workbooks we write ----

HEADER_FONT = Font(bold=True)
REQUIRED_FONT = Font(bold=True, color="C00000")
EXAMPLE_FONT = Font(italic=True, color="808080")
ERROR_FILL = PatternFill("solid", fgColor="F8D7DA")


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_workbook(*, department_paths: Iterable[str], position_names: Iterable[str]) -> bytes:
    """The import template: a header row, an example row, and an instructions sheet with the valid names."""
    department_paths, position_names = list(department_paths), list(position_names)
    limit = max_rows()
    wb = Workbook()
    ws = wb.active
    ws.title = str(gettext_lazy("Staff"))[:31]
    for i, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=f"{c.label} *" if c.required else str(c.label))
        cell.font = REQUIRED_FONT if c.required else HEADER_FONT
        ws.column_dimensions[get_column_letter(i)].width = 22 if c.key in ("id_number", "department") else 14
    yes, no = str(gettext_lazy("Yes")), str(gettext_lazy("No"))
    example = {
        "name": str(EXAMPLE_NAME),
        "gender": str(Staff.Gender.MALE.label),
        "id_number": EXAMPLE_ID,
        "phone": "13800000000",
        "department": department_paths[0] if department_paths else "",
        "position": position_names[0] if position_names else "",
        "hired_on": date(2024, 3, 1),
        "has_certificates": no,
        "occupational_exposure": no,
        "is_active": yes,
    }
    for i, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=i, value=example[c.key])
        cell.font = EXAMPLE_FONT
        if c.key == "hired_on":
            cell.number_format = "yyyy-mm-dd"
    # ID and phone numbers as text, so Excel neither rounds them nor drops leading zeros.
    for key in ("id_number", "phone"):
        letter = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
        for row in range(2, limit + 2):
            ws[f"{letter}{row}"].number_format = "@"
    ws.freeze_panes = "A2"

    def dropdown(key: str, words: list[str]) -> None:
        letter = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True)
        dv.add(f"{letter}2:{letter}{limit + 1}")
        ws.add_data_validation(dv)

    dropdown("gender", [str(label) for _v, label in Staff.Gender.choices])
    for key in BOOLEAN_DEFAULTS:
        dropdown(key, [yes, no])

    info = wb.create_sheet(str(gettext_lazy("Instructions"))[:31])
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 12
    info.column_dimensions["C"].width = 90
    info.append([str(gettext_lazy("How to fill in the staff template"))])
    info["A1"].font = Font(bold=True, size=13)
    notes = [
        _("Fill in one person per row on the first sheet, below the header row. Do not rename the headers."),
        _("Row 2 is an example: replace it, or leave it; a row whose name is “%(example)s” is skipped.")
        % {"example": EXAMPLE_NAME},
        _(
            "The file is imported whole or not at all: if any row has a problem, nothing is imported and every "
            "problem is listed with its row and column."
        ),
        _("At most %(max)d rows per file.") % {"max": limit},
    ]
    for note in notes:
        info.append([note])
    info.append([])
    info.append([_("Column"), _("Required"), _("How to fill it in")])
    for cell in info[info.max_row]:
        cell.font = HEADER_FONT
    for c in COLUMNS:
        info.append([str(c.label), yes if c.required else no, str(c.help)])
    info.append([])
    info.append([_("Departments of this enterprise")])
    info[info.max_row][0].font = HEADER_FONT
    for p in department_paths or [_("(none yet: create departments first)")]:
        info.append([p])
    info.append([])
    info.append([_("Positions of this enterprise")])
    info[info.max_row][0].font = HEADER_FONT
    for p in position_names or [_("(none yet: create positions first)")]:
        info.append([p])
    for row in info.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return _save(wb)


def report_workbook(*, headers: list[str], rows: list[tuple[int, list[Any]]], errors: list[RowError]) -> bytes:
    """The uploaded rows as they were, with an Errors column: fix the marked rows and upload the file again."""
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(f"{e.column}: {e.message}" if e.column else e.message)
    wb = Workbook()
    ws = wb.active
    ws.title = str(gettext_lazy("Staff"))[:31]
    errors_label = _("Errors")
    ws.append([*headers, errors_label])
    for cell in ws[1]:
        cell.font = HEADER_FONT
    ws.column_dimensions[get_column_letter(len(headers) + 1)].width = 80
    for number, values in rows:
        ws.append([*values, "\n".join(by_row.get(number, []))])
        if number in by_row:
            for cell in ws[ws.max_row]:
                cell.fill = ERROR_FILL
    return _save(wb)


def jsonable(value: Any) -> Any:
    """A cell value for the session (the error report is rebuilt from it on download)."""
    if isinstance(value, (datetime, date)):
        return _text(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
