"""The risk point Excel file: template, reading and checking an upload, the error report, and the export.

One row per hazard factor / control measure; the rows of one risk point share its name and place. The export
writes exactly this format, so an exported library imports again (elsewhere, or after deleting it here).

Rules of the rows (each problem is reported with its Excel row and column; the service imports all or nothing):

* The first row of a risk point must give its category and grading (method and values); later rows of the same
  point may repeat those cells or leave them empty, but may not contradict them.
* Factor kind and description name the factor; a row with both empty continues the point's previous factor.
* Every row needs a control measure: a factor without one is refused.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import grading
from .models import ControlMeasure, GradingMethod, HazardFactor, RiskLevel, RiskPoint

DEFAULT_MAX_ROWS = 3000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_SCANNED_ROWS = 20_000  # rows walked at most, blank ones included
MAX_COLUMNS = 40
PATH_SEPARATOR = " / "


def max_rows() -> int:
    return int(getattr(settings, "RISK_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    help: Promise
    required: bool = False  # the header must be present (the cell's own rule is in check_rows)
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column(
        "category",
        gettext_lazy("Category"),
        gettext_lazy(
            "Facility / equipment, place / area, operation / activity, or post. Required on a point's first row."
        ),
        required=True,
    ),
    Column(
        "name",
        gettext_lazy("Risk point"),
        gettext_lazy("The risk point's name; rows with the same name and place belong to one point."),
        required=True,
        width=24,
    ),
    Column("place", gettext_lazy("Place"), gettext_lazy("Where it is; may be empty."), required=True, width=18),
    Column(
        "department",
        gettext_lazy("Department"),
        gettext_lazy(
            "The name of an existing department (where two share a name, the path, e.g. Production / Workshop 1); "
            "may be empty."
        ),
        required=True,
        width=18,
    ),
    Column(
        "factor_kind",
        gettext_lazy("Factor kind"),
        gettext_lazy("Unsafe act, unsafe condition, environment or management defect."),
        required=True,
    ),
    Column(
        "factor",
        gettext_lazy("Hazard factor"),
        gettext_lazy("What could go wrong. Leave kind and factor empty to add another measure to the factor above."),
        required=True,
        width=36,
    ),
    Column(
        "measure",
        gettext_lazy("Control measure"),
        gettext_lazy("One control measure per row; every factor needs at least one."),
        required=True,
        width=40,
    ),
    Column(
        "method",
        gettext_lazy("Grading method"),
        gettext_lazy("LEC or LS. Required on a point's first row."),
        required=True,
    ),
    Column(
        "l",
        gettext_lazy("L"),
        gettext_lazy("Likelihood: LEC 0.1–10 from its value set, LS 1–5."),
        required=True,
        width=7,
    ),
    Column("e", gettext_lazy("E"), gettext_lazy("Exposure (LEC only): 0.5, 1, 2, 3, 6 or 10."), required=True, width=7),
    Column(
        "c", gettext_lazy("C"), gettext_lazy("Consequence (LEC only): 1, 3, 7, 15, 40 or 100."), required=True, width=7
    ),
    Column("s", gettext_lazy("S"), gettext_lazy("Severity (LS only): 1–5."), required=True, width=7),
    # Optional columns: absent in an older file, they take their defaults.
    Column("responsible", gettext_lazy("Person responsible"), gettext_lazy("May be empty.")),
    Column(
        "consequence",
        gettext_lazy("Possible consequence"),
        gettext_lazy("E.g. fire, poisoning; may be empty."),
        width=18,
    ),
    Column(
        "measure_kind",
        gettext_lazy("Measure kind"),
        gettext_lazy("Engineering, management, training, personal protection or emergency; empty means management."),
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
POINT_FIELDS = ("category", "department", "responsible", "method", "l", "e", "c", "s")

EXAMPLE_NAME = gettext_lazy("Example: liquid chlorine tank area")


class ImportFileError(Exception):
    """The file as a whole cannot be read; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    row: int  # Excel row number
    column: str  # the header as written in the file ("" for the row as a whole)
    message: str


@dataclass
class Sheet:
    headers: list[str]
    keys: list[str | None]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    def header_for(self, key: str) -> str:
        if key in self.keys:
            return self.headers[self.keys.index(key)]
        return str(COLUMN_BY_KEY[key].label)


def _in_every_language(text: Promise) -> set[str]:
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(text))
    return names


def _norm(value: Any) -> str:
    return " ".join(str(value or "").replace("*", "").replace("\u3000", " ").split()).casefold()


def point_key(name: Any, place: Any) -> tuple[str, str]:
    """What makes two rows (or a row and a library point) the same risk point: name and place, normalised."""
    return (_norm(name), _norm(place))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split()) if isinstance(value, str) and "\n" not in value else str(value).strip()


def _is_blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _header_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for c in COLUMNS:
        keys[c.key] = c.key
        for label in _in_every_language(c.label):
            keys[_norm(label)] = c.key
    return keys


def _choice_words(choices: Iterable[tuple[str, Any]], extra: dict[str, str] | None = None) -> dict[str, str]:
    """Code → code and label (in every language) → code, normalised."""
    words: dict[str, str] = {}
    for value, label in choices:
        words[_norm(value)] = value
        for text in _in_every_language(label):
            words[_norm(text)] = value
    words.update({_norm(k): v for k, v in (extra or {}).items()})
    return words


def _method_words() -> dict[str, str]:
    return _choice_words(GradingMethod.choices, {"LEC": GradingMethod.LEC, "LS": GradingMethod.LS})


def read_sheet(upload, *, limit: int | None = None) -> Sheet:
    """Header and non-blank data rows of an upload; ImportFileError for a file that cannot be imported."""
    limit = max_rows() if limit is None else limit
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    max_bytes = int(getattr(settings, "RISK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    if size > max_bytes:
        raise ImportFileError(_("The file is too large (at most %(mb)d MB).") % {"mb": max_bytes // (1024 * 1024)})
    upload.seek(0)
    magic = upload.read(8)
    upload.seek(0)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("This is an old Excel 97–2003 (.xls) file. Save it as .xlsx in Excel or WPS and upload it again.")
        )
    not_xlsx = _("This is not an Excel .xlsx file. Download the template, fill it in and save it as .xlsx.")
    if not magic.startswith(b"PK"):
        raise ImportFileError(not_xlsx)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFileError(not_xlsx) from exc
    except Exception as exc:  # openpyxl's own errors for a broken file
        raise ImportFileError(not_xlsx) from exc
    try:
        return _read_rows(workbook.worksheets[0], limit)
    finally:
        workbook.close()


def _read_rows(ws, limit: int) -> Sheet:
    rows = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    header = next(rows, None)
    if header is None or _is_blank(header):
        raise ImportFileError(_("The first row must hold the column headers of the template; it is empty."))
    known = _header_keys()
    headers = [str(h).strip() if h is not None else "" for h in header]
    while headers and not headers[-1]:
        headers.pop()
    keys: list[str | None] = []
    for h in headers:
        key = known.get(_norm(h)) if h else None
        keys.append(key if key not in keys else None)
    missing = [c for c in COLUMNS if c.required and c.key not in keys]
    if missing:
        raise ImportFileError(
            _(
                "This file does not follow the risk point template: the columns %(columns)s are missing. Download "
                "the template and copy the data into it."
            )
            % {"columns": "、".join(f"“{c.label}”" for c in missing)}
        )
    sheet = Sheet(headers=headers, keys=keys)
    examples = {_norm(n) for n in _in_every_language(EXAMPLE_NAME)}
    name_at = keys.index("name")
    too_many = _("The file has more than %(max)d rows; import at most %(max)d rows at a time.") % {"max": limit}
    for number, values in enumerate(rows, start=2):
        if number > MAX_SCANNED_ROWS:
            raise ImportFileError(too_many)
        values = (list(values) + [None] * (len(headers) - len(values)))[: len(headers)]
        if _is_blank(values) or _norm(values[name_at]) in examples:
            continue
        sheet.rows.append((number, values))
        if len(sheet.rows) > limit:
            raise ImportFileError(too_many)
    if not sheet.rows:
        raise ImportFileError(_("The file has no data rows below the header row."))
    return sheet


# ---- checking ----


@dataclass
class Departments:
    """The enterprise's departments by name and by path ("Production / Workshop 1")."""

    departments: list[Any]

    def __post_init__(self) -> None:
        by_pk = {d.pk: d for d in self.departments}
        self.paths: dict[int, str] = {}
        for d in self.departments:
            names, current, steps = [], d, 0
            while current is not None and steps <= len(by_pk):
                names.append(current.name)
                current = by_pk.get(current.parent_id) if current.parent_id else None
                steps += 1
            self.paths[d.pk] = PATH_SEPARATOR.join(reversed(names))
        self.by_path = {_norm(p): by_pk[pk] for pk, p in self.paths.items()}
        self.by_name: dict[str, list[Any]] = {}
        for d in self.departments:
            self.by_name.setdefault(_norm(d.name), []).append(d)

    def find(self, text: str):
        if "/" in text or "／" in text:
            parts = [p.strip() for p in text.replace("／", "/").split("/") if p.strip()]
            found = self.by_path.get(_norm(PATH_SEPARATOR.join(parts)))
            if found is None:
                raise ValidationError(
                    _("There is no department “%(value)s” in this enterprise; create it first or correct the path."),
                    params={"value": text},
                )
            return found
        found = self.by_name.get(_norm(text), [])
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValidationError(
                _("There is no department named “%(value)s” in this enterprise; create it first or correct the name."),
                params={"value": text},
            )
        raise ValidationError(
            _("Several departments are named “%(value)s”; write the path instead, one of: %(paths)s."),
            params={"value": text, "paths": "; ".join(self.paths[d.pk] for d in found)},
        )

    def label(self, department) -> str:
        """How the export names a department: its name, or its path where the name is not unique."""
        if department is None:
            return ""
        if len(self.by_name.get(_norm(department.name), [])) == 1:
            return department.name
        return self.paths.get(department.pk, department.name)


@dataclass
class ImportedMeasure:
    kind: str
    description: str


@dataclass
class ImportedFactor:
    kind: str
    description: str
    consequence: str = ""
    measures: list[ImportedMeasure] = field(default_factory=list)


@dataclass
class ImportedPoint:
    first_row: int
    name: str
    place: str
    category: str = ""
    department: Any = None
    responsible: str = ""
    method: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    grade: grading.Grade | None = None
    factors: list[ImportedFactor] = field(default_factory=list)


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def check_rows(
    sheet: Sheet,
    *,
    departments: Departments,
    existing: set[tuple[str, str]],
    bands: dict[str, list[dict[str, Any]]],
) -> tuple[list[ImportedPoint], list[RowError]]:
    """Every row checked, every problem reported: (the points to create, the errors).

    ``existing``: normalised (name, place) of the points already in the library; ``bands`` per method.
    """
    categories = _choice_words(RiskPoint.Category.choices)
    factor_kinds = _choice_words(HazardFactor.Kind.choices)
    measure_kinds = _choice_words(ControlMeasure.Kind.choices)
    methods = _method_words()
    position_of = {key: i for i, key in enumerate(sheet.keys) if key}
    errors: list[RowError] = []
    points: dict[tuple[str, str], ImportedPoint] = {}
    first_cells: dict[tuple[str, str], dict[str, str]] = {}  # the point's cells as first written (for conflicts)
    last_factor: dict[tuple[str, str], ImportedFactor] = {}

    for number, values in sheet.rows:
        cell = {key: _text(values[i]) for key, i in position_of.items()}
        for key in COLUMN_BY_KEY:
            cell.setdefault(key, "")

        def fail(key: str, message: str, number: int = number) -> None:
            errors.append(RowError(number, sheet.header_for(key) if key else "", message))

        name, place = cell["name"], cell["place"]
        if not name:
            fail("name", _("The risk point's name is required."))
            continue
        if len(name) > 100:
            fail("name", _("At most 100 characters."))
        if len(place) > 100:
            fail("place", _("At most 100 characters."))
        key = point_key(name, place)
        point = points.get(key)
        if point is None:
            point = points[key] = ImportedPoint(first_row=number, name=name[:100], place=place[:100])
            first_cells[key] = {k: cell[k] for k in POINT_FIELDS}
            if key in existing:
                fail(
                    "name",
                    _(
                        "“%(name)s” at “%(place)s” is already in the risk point library: rename it here, or delete "
                        "the existing point first."
                    )
                    % {"name": name, "place": place or "—"},
                )
            _check_point_cells(point, cell, fail, categories, methods, departments, bands)
        else:
            for k in POINT_FIELDS:
                first = first_cells[key][k]
                if cell[k] and _norm(cell[k]) != _norm(first) and not _same_number(cell[k], first):
                    fail(
                        k,
                        _(
                            "“%(value)s” differs from row %(row)d, the first row of this risk point (“%(first)s”): "
                            "write the same value or leave the cell empty."
                        )
                        % {"value": cell[k], "row": point.first_row, "first": first or "—"},
                    )

        # The factor: named by kind + description, or continuing the point's previous factor.
        kind_text, description = cell["factor_kind"], cell["factor"]
        factor = None
        if not kind_text and not description:
            factor = last_factor.get(key)
            if factor is None:
                fail("factor", _("The hazard factor is required on a risk point's first row."))
        else:
            kind = factor_kinds.get(_norm(kind_text)) if kind_text else None
            if not kind_text:
                fail("factor_kind", _("Give the factor's kind: %(kinds)s.") % {"kinds": _labels(HazardFactor.Kind)})
            elif kind is None:
                fail(
                    "factor_kind",
                    _("“%(value)s” is not a factor kind; use one of: %(kinds)s.")
                    % {"value": kind_text, "kinds": _labels(HazardFactor.Kind)},
                )
            if not description:
                fail("factor", _("Describe the hazard factor."))
            if kind and description:
                factor = next(
                    (f for f in point.factors if f.kind == kind and _norm(f.description) == _norm(description)), None
                )
                if factor is None:
                    factor = ImportedFactor(kind=kind, description=description, consequence=cell["consequence"][:200])
                    point.factors.append(factor)
                last_factor[key] = factor
        if len(cell["consequence"]) > 200:
            fail("consequence", _("At most 200 characters."))

        measure = cell["measure"]
        measure_kind = ControlMeasure.Kind.MANAGEMENT
        if cell["measure_kind"]:
            measure_kind = measure_kinds.get(_norm(cell["measure_kind"]))
            if measure_kind is None:
                fail(
                    "measure_kind",
                    _("“%(value)s” is not a measure kind; use one of: %(kinds)s.")
                    % {"value": cell["measure_kind"], "kinds": _labels(ControlMeasure.Kind)},
                )
        if not measure:
            fail(
                "measure",
                _("Every hazard factor needs a control measure: write one in this row.")
                if not description
                else _("The hazard factor “%(factor)s” has no control measure: write one in this row.")
                % {"factor": description[:50]},
            )
        elif factor is not None and measure_kind is not None:
            factor.measures.append(ImportedMeasure(kind=measure_kind, description=measure))
    return list(points.values()), errors


def _same_number(a: str, b: str) -> bool:
    try:
        return a != "" and b != "" and Decimal(a) == Decimal(b)
    except Exception:
        return False


def _labels(choices) -> str:
    return "、".join(str(label) for _value, label in choices.choices)


def _check_point_cells(point, cell, fail, categories, methods, departments, bands) -> None:
    category = cell["category"]
    if not category:
        fail("category", _("The category is required on a risk point's first row."))
    elif categories.get(_norm(category)) is None:
        fail(
            "category",
            _("“%(value)s” is not a category; use one of: %(kinds)s.")
            % {"value": category, "kinds": _labels(RiskPoint.Category)},
        )
    else:
        point.category = categories[_norm(category)]
    if cell["department"]:
        try:
            point.department = departments.find(cell["department"])
        except ValidationError as exc:
            fail("department", _message(exc))
    if len(cell["responsible"]) > 50:
        fail("responsible", _("At most 50 characters."))
    point.responsible = cell["responsible"][:50]
    method_text = cell["method"]
    if not method_text:
        fail("method", _("The grading method (LEC or LS) is required on a risk point's first row."))
        return
    method = methods.get(_norm(method_text))
    if method is None:
        fail("method", _("“%(value)s” is not a grading method; write LEC or LS.") % {"value": method_text})
        return
    point.method = method
    point.values = {k: cell[k] for k in ("l", "e", "c", "s")}
    try:
        point.grade = grading.grade(method, point.values, bands[method])
    except ValidationError as exc:
        for factor, messages in exc.message_dict.items():
            fail(factor if factor in COLUMN_BY_KEY else "method", " ".join(messages))


# ---- workbooks we write ----

HEADER_FONT = Font(bold=True)
REQUIRED_FONT = Font(bold=True, color="C00000")
EXAMPLE_FONT = Font(italic=True, color="808080")
ERROR_FILL = PatternFill("solid", fgColor="F8D7DA")
SHEET_TITLE = gettext_lazy("Risk points")


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _header_label(c: Column) -> str:
    return str(c.label)


def template_workbook(*, department_labels: Iterable[str], bands: dict[str, Any] | None = None) -> bytes:
    """The import template: header row, an example point (two rows), and an instructions sheet."""
    department_labels = list(department_labels)
    limit = max_rows()
    wb = Workbook()
    ws = wb.active
    ws.title = str(SHEET_TITLE)[:31]
    for i, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=_header_label(c))
        cell.font = (
            REQUIRED_FONT
            if c.key in ("category", "name", "factor_kind", "factor", "measure", "method")
            else HEADER_FONT
        )
        ws.column_dimensions[get_column_letter(i)].width = c.width
    example = str(EXAMPLE_NAME)
    rows = [
        {
            "category": str(RiskPoint.Category.FACILITY.label),
            "name": example,
            "place": _("Tank farm"),
            "department": department_labels[0] if department_labels else "",
            "factor_kind": str(HazardFactor.Kind.UNSAFE_CONDITION.label),
            "factor": _("Leak from a corroded valve"),
            "measure": _("Inspect valves and flanges every shift"),
            "method": "LEC",
            "l": 3,
            "e": 6,
            "c": 15,
            "s": None,
            "responsible": _("Zhang San"),
            "consequence": _("Poisoning"),
            "measure_kind": str(ControlMeasure.Kind.MANAGEMENT.label),
        },
        {
            "name": example,
            "place": _("Tank farm"),
            "measure": _("Keep self-contained breathing apparatus at the tank farm entrance"),
            "measure_kind": str(ControlMeasure.Kind.EMERGENCY.label),
        },
    ]
    for r, row in enumerate(rows, start=2):
        for i, c in enumerate(COLUMNS, start=1):
            ws.cell(row=r, column=i, value=row.get(c.key)).font = EXAMPLE_FONT
    ws.freeze_panes = "C2"

    def dropdown(key: str, words: list[str]) -> None:
        letter = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
        dv = DataValidation(
            type="list", formula1='"' + ",".join(w.replace(",", " ") for w in words) + '"', allow_blank=True
        )
        dv.add(f"{letter}2:{letter}{limit + 1}")
        ws.add_data_validation(dv)

    dropdown("category", [str(label) for _v, label in RiskPoint.Category.choices])
    dropdown("factor_kind", [str(label) for _v, label in HazardFactor.Kind.choices])
    dropdown("measure_kind", [str(label) for _v, label in ControlMeasure.Kind.choices])
    dropdown("method", ["LEC", "LS"])

    info = wb.create_sheet(str(gettext_lazy("Instructions"))[:31])
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 90
    info.append([_("How to fill in the risk point template")])
    info["A1"].font = Font(bold=True, size=13)
    notes = [
        _("One row per hazard factor and control measure, on the first sheet below the header row."),
        _("The rows of one risk point share its name and place; its first row gives its category and grading."),
        _("A row with an empty factor kind and factor adds another control measure to the factor above."),
        _("Rows 2 and 3 are an example: a point named “%(example)s” is skipped.") % {"example": example},
        _(
            "The file is imported whole or not at all: if any row has a problem, nothing is imported and every "
            "problem is listed with its row and column."
        ),
        _("At most %(max)d rows per file.") % {"max": limit},
    ]
    for note in notes:
        info.append(["", note])
    info.append([])
    info.append([_("Column"), _("How to fill it in")])
    for cell in info[info.max_row]:
        cell.font = HEADER_FONT
    for c in COLUMNS:
        info.append([str(c.label), str(c.help)])
    info.append([])
    for method, factors in grading.METHOD_FACTORS.items():
        for factor, _allowed in factors:
            info.append(
                [
                    f"{method.upper()} {factor.upper()}",
                    "; ".join(str(label) for _v, label in grading.value_choices(method, factor)),
                ]
            )
    levels = dict(RiskLevel.choices)
    for method, method_bands in (bands or {}).items():
        described = "; ".join(
            f"{text}: {levels[level]}" for level, text in grading.describe_bands(method, method_bands)
        )
        info.append([_("%(method)s levels") % {"method": method.upper()}, described])
    info.append([])
    info.append([_("Departments of this enterprise")])
    info[info.max_row][0].font = HEADER_FONT
    for label in department_labels or [_("(none yet: create departments first, or leave the column empty)")]:
        info.append([label])
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
    ws.title = str(SHEET_TITLE)[:31]
    ws.append([*headers, _("Row"), _("Errors")])
    for cell in ws[1]:
        cell.font = HEADER_FONT
    ws.column_dimensions[get_column_letter(len(headers) + 2)].width = 80
    for number, values in rows:
        ws.append([*values, number, "\n".join(by_row.get(number, []))])
        if number in by_row:
            for cell in ws[ws.max_row]:
                cell.fill = ERROR_FILL
    return _save(wb)


def jsonable(value: Any) -> Any:
    """A cell value for the session (the error report is rebuilt from it on download)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _number(value: Decimal | None) -> Any:
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def export_rows(points: Iterable[RiskPoint], departments: Departments) -> Iterable[list[Any]]:
    """One row per factor / measure in the template's column order; every row repeats its point's cells.

    ``points`` should come with ``factors__measures`` prefetched.
    """
    for point in points:
        base = {
            "category": point.get_category_display(),
            "name": point.name,
            "place": point.place,
            "department": departments.label(point.department) if point.department_id else "",
            "method": point.method.upper() if point.method else "",
            "l": _number(point.value_l),
            "e": _number(point.value_e),
            "c": _number(point.value_c),
            "s": _number(point.value_s),
            "responsible": point.responsible,
        }
        pairs = [(f, m) for f in point.factors.all() for m in f.measures.all()] or [(None, None)]
        for factor, measure in pairs:
            row = dict(base)
            if factor is not None:
                row.update(
                    factor_kind=factor.get_kind_display(),
                    factor=factor.description,
                    consequence=factor.consequence,
                    measure=measure.description,
                    measure_kind=measure.get_kind_display(),
                )
            yield [row.get(c.key) for c in COLUMNS]


def export_workbook(fileobj, points: Iterable[RiskPoint], departments: Departments) -> int:
    """Write the library in the template's format (write-only: flat memory); returns the number of rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=str(SHEET_TITLE)[:31])
    for i, c in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(i + 1)].width = c.width
    header = []
    for c in COLUMNS:
        cell = WriteOnlyCell(ws, value=_header_label(c))
        cell.font = HEADER_FONT
        header.append(cell)
    ws.append(header)
    n = 0
    for row in export_rows(points, departments):
        ws.append(row)
        n += 1
    wb.save(fileobj)
    return n
