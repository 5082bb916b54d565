"""Input formats for Simplified Chinese: ISO first.

Django's zh_Hans puts "%Y/%m/%d" first, and widgets render their initial value in the first input format;
an ``<input type="date">`` only accepts "2026-11-24", so a prefilled date showed empty on phones and the form
failed until the date was picked again. Every other format falls back to Django's own zh_Hans module.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%n月%j日"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M",  # also what <input type="datetime-local"> accepts (a space for the "T")
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y年%n月%j日 %H:%M",
    "%Y年%n月%j日 %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%n月%j日",
]
