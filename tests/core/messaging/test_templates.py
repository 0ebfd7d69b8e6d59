"""Templates: sandboxed, strict about missing variables, checked at preview time."""

from __future__ import annotations

import pytest

from junction.core.messaging import MessageTemplate, TemplateError, preview, render, validate

SAMPLE = {"traits": {"first_name": "Lei", "city": "杭州", "points": 120}, "profile": {"id": 7}}


def test_renders_every_part_for_one_person() -> None:
    template = MessageTemplate(
        subject="{{ traits.first_name }}, your coupon",
        text="Hi {{ traits.first_name }} in {{ traits.city }}: {{ traits.points * 2 }} points",
        html="<p>Hi {{ traits.first_name }}</p>",
        params={"name": "{{ traits.first_name }}", "code": "C{{ profile.id }}"},
    )
    out = render(template, SAMPLE)
    assert out.subject == "Lei, your coupon"
    assert out.text == "Hi Lei in 杭州: 240 points"
    assert out.html == "<p>Hi Lei</p>"
    assert out.params == {"name": "Lei", "code": "C7"}


def test_only_html_is_escaped() -> None:
    person = {"traits": {"first_name": "<b>Tom & Jerry</b>"}}
    template = MessageTemplate(text="{{ traits.first_name }}", html="{{ traits.first_name }}")
    out = render(template, person)
    assert out.text == "<b>Tom & Jerry</b>"
    assert out.html == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"


def test_a_missing_variable_is_an_error_never_an_empty_string() -> None:
    template = MessageTemplate(text="Hi {{ traits.nickname }}")
    with pytest.raises(TemplateError, match="text: missing variable"):
        render(template, SAMPLE)


def test_preview_lists_every_missing_variable_at_once() -> None:
    template = MessageTemplate(
        subject="{{ traits.nickname }}",
        text="{{ traits.tier }} {{ traits.city }} {{ traits.vip | default('friend') }}",
        params={"code": "{{ coupon.code }}"},
    )
    with pytest.raises(TemplateError) as caught:
        preview(template, SAMPLE)
    message = str(caught.value)
    for expected in ("subject: traits.nickname", "text: traits.tier", "params.code: coupon"):
        assert expected in message
    assert "traits.city" not in message and "traits.vip" not in message


def test_preview_renders_a_good_template() -> None:
    template = MessageTemplate(text="{% for i in range(2) %}{{ traits.first_name }}{% endfor %}")
    assert preview(template, SAMPLE).text == "LeiLei"


def test_syntax_errors_name_the_part_and_line() -> None:
    with pytest.raises(TemplateError, match=r"params.code: syntax error on line 2"):
        validate(MessageTemplate(params={"code": "ok\n{{ broken"}))


def test_the_sandbox_refuses_python_internals() -> None:
    template = MessageTemplate(text="{{ traits.__class__.__mro__ }}")
    with pytest.raises(TemplateError):
        render(template, SAMPLE)
    sneaky = MessageTemplate(text="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match=r"not allowed|missing"):
        render(sneaky, SAMPLE)


def test_runaway_output_is_refused() -> None:
    loops = "{% for i in range(1000) %}{% for j in range(200) %}x{% endfor %}{% endfor %}"
    template = MessageTemplate(text=loops)
    with pytest.raises(TemplateError, match="limit"):
        render(template, SAMPLE)
