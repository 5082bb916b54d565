"""The Simplified Chinese catalogue is complete, keeps every placeholder, and is compiled and loaded.

Refresh after adding UI strings (then translate the new entries and recompile):

    DEBUG=1 .venv/bin/python manage.py makemessages -l zh_Hans --no-location --no-obsolete \
        --ignore=.venv --ignore=var --ignore=tests --ignore=static
    DEBUG=1 .venv/bin/python manage.py compilemessages -l zh_Hans --ignore=.venv
"""

from __future__ import annotations

import gettext as gnu_gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s / %(n)d style (python-format, and blocktranslate's {{ var }} once extracted) plus raw {{ var }}.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|\{\{\s*[^{}]+?\s*\}\}")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int | None, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), s)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')


def parse_po(path: Path) -> list[Entry]:
    """A tiny .po parser: comments, flags, msgctxt, msgid(_plural), msgstr / msgstr[n], multi-line strings.

    Obsolete (``#~``) entries are skipped. The header (``msgid ""``) is the first entry returned.
    """
    entries: list[Entry] = []
    cur: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal cur, target
        if cur is not None:
            entries.append(cur)
        cur, target = None, None

    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if cur is not None and cur.msgstr:
                finish()
            if line.startswith("#,"):
                pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        m = _KEYWORD.match(line)
        if m:
            keyword, index, value = m.group(1), m.group(2), _unquote(m.group(3))
            # msgctxt always opens an entry; msgid opens one unless it follows that entry's msgctxt.
            if keyword == "msgctxt" or (keyword == "msgid" and (cur is None or cur.msgstr or target[0] != "msgctxt")):
                finish()
                cur = Entry(line=n, flags=pending_flags)
                pending_flags = set()
            assert cur is not None, f"{path}:{n}: {keyword} outside an entry"
            if keyword == "msgctxt":
                cur.msgctxt, target = value, ("msgctxt", None)
            elif keyword == "msgid":
                cur.msgid, target = value, ("msgid", None)
            elif keyword == "msgid_plural":
                cur.msgid_plural, target = value, ("msgid_plural", None)
            else:
                key = int(index) if index is not None else None
                cur.msgstr[key], target = value, ("msgstr", key)
            continue
        m = _CONTINUATION.match(line)
        if m and cur is not None and target is not None:
            value = _unquote(m.group(1))
            kind, key = target
            if kind == "msgstr":
                cur.msgstr[key] += value
            else:
                setattr(cur, kind, getattr(cur, kind) + value)
            continue
        raise AssertionError(f"{path}:{n}: cannot parse {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages"
    parsed = parse_po(PO_PATH)
    assert parsed and parsed[0].msgid == "", "the catalogue has no header entry"
    return parsed


def placeholders(text: str) -> set[str]:
    return {re.sub(r"\s+", "", p) for p in PLACEHOLDER.findall(text)}


def test_parser_reads_the_whole_catalogue(entries):
    assert len(entries) > 100
    assert all(e.msgstr for e in entries), [e.label for e in entries if not e.msgstr]
    assert len({(e.msgctxt, e.msgid) for e in entries}) == len(entries), "duplicate msgids"


def test_header_is_not_fuzzy_and_declares_one_plural_form(entries):
    header = entries[0]
    assert "fuzzy" not in header.flags, "a fuzzy header is ignored by msgfmt: remove the flag"
    assert "charset=UTF-8" in header.msgstr[None]
    assert "nplurals=1; plural=0;" in header.msgstr[None]


def test_every_entry_is_translated_and_not_fuzzy(entries):
    problems = []
    for e in entries[1:]:
        if "fuzzy" in e.flags:
            problems.append(f"fuzzy: {e.label}")
        if e.msgid_plural is not None:
            if 0 not in e.msgstr or not e.msgstr[0].strip():
                problems.append(f"untranslated (msgstr[0]): {e.label}")
        elif not e.msgstr.get(None, "").strip():
            problems.append(f"untranslated: {e.label}")
    assert not problems, "zh_Hans catalogue incomplete:\n" + "\n".join(problems)


def test_placeholders_are_kept(entries):
    problems = []
    for e in entries[1:]:
        wanted = placeholders(e.msgid)
        if e.msgid_plural is not None:
            # Chinese has one form, used for every n: it must carry the plural's placeholders.
            wanted |= placeholders(e.msgid_plural)
        for key, text in e.msgstr.items():
            got = placeholders(text)
            if text and got != wanted:
                problems.append(
                    f"{e.label} msgstr{'' if key is None else f'[{key}]'}: "
                    f"missing {sorted(wanted - got)}, unexpected {sorted(got - wanted)}"
                )
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_compiled_catalogue_matches_the_po(entries):
    """The .mo holds exactly the .po's translations: catches a forgotten compilemessages."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages"
    with MO_PATH.open("rb") as fh:
        mo = gnu_gettext.GNUTranslations(fh)
    stale = []
    for e in entries[1:]:
        if e.msgid_plural is not None:
            if e.msgctxt is not None:
                got = mo.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 5)
            else:
                got = mo.ngettext(e.msgid, e.msgid_plural, 5)
            want = e.msgstr.get(0)
        else:
            got = mo.pgettext(e.msgctxt, e.msgid) if e.msgctxt is not None else mo.gettext(e.msgid)
            want = e.msgstr.get(None)
        if got != want:
            stale.append(e.label)
    assert not stale, "django.mo is out of date, run compilemessages:\n" + "\n".join(stale)


@pytest.mark.parametrize(
    ("msgid", "chinese"),
    [
        ("Log in", "登录"),
        ("Owning body", "归属机构"),
        ("To-do inbox", "待办事项"),
        ("Unified social credit code", "统一社会信用代码"),
        ("Review record", "审核记录"),
        ("Leader (read-only)", "领导（只读）"),
    ],
)
def test_django_serves_the_chinese(msgid, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == chinese
    with translation.override("en"):
        assert translation.gettext(msgid) == msgid


def test_django_interpolates_the_chinese():
    with translation.override("zh-hans"):
        text = translation.gettext("Registration approved: %(name)s") % {"name": "泸州示例化工有限公司"}
    assert text == "企业注册审核通过：泸州示例化工有限公司"
