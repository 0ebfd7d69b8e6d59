"""Every UI string has its Chinese translation, and placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

from junction.admin.web import i18n
from junction.admin.web.render import TEMPLATES

WEB = TEMPLATES.parent
LITERAL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
CALL = re.compile(r"""(?:gettext\(request\)|_t\(request\))\(\s*"((?:[^"\\]|\\.)*)\"""")


def ui_strings() -> set[str]:
    found: set[str] = set(i18n.DYNAMIC)
    for template in TEMPLATES.rglob("*.html"):
        for match in LITERAL.finditer(template.read_text()):
            found.add(match.group(1) or match.group(2))
    for module in WEB.rglob("*.py"):
        found.update(CALL.findall(module.read_text()))
    from junction.admin.web.controllers.common import DONE

    found.update(DONE.values())
    return found


def test_the_extraction_finds_the_ui() -> None:
    strings = ui_strings()
    assert {"Connections", "Test connection", "Wrong user name or password."} <= strings
    assert len(strings) > 150


def test_every_string_has_a_chinese_translation() -> None:
    missing = sorted(ui_strings() - set(i18n.TRANSLATIONS["zh"]))
    assert not missing, f"add these to TRANSLATIONS['zh'] in admin/web/i18n.py: {missing}"


def test_translations_keep_their_placeholders() -> None:
    for source, translated in i18n.TRANSLATIONS["zh"].items():
        assert set(re.findall(r"\{\w+\}", source)) == set(re.findall(r"\{\w+\}", translated))
    zh = i18n.translator("zh")
    assert zh("Edit {name}", name="vips") == "编辑 vips"
    assert i18n.translator("en")("Edit {name}", name="vips") == "Edit vips"
    assert zh("a string nobody translated") == "a string nobody translated"


def test_no_template_is_left_untranslatable() -> None:
    # Visible English outside _() would stay English in every language: spot-check the
    # headings of every page.
    for template in Path(TEMPLATES).rglob("*.html"):
        for heading in re.findall(r"<h[12][^>]*>([^<{]+)<", template.read_text()):
            assert not heading.strip() or heading.strip() in ("Junction",), (template, heading)
