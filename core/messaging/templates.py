"""Message templates: sandboxed Jinja2 over a person's traits, checked before sending.

A template is a few Jinja2 strings (subject, text, html, and platform template
parameters such as an SMS ``TemplateParam``). They run in Jinja2's sandbox, so an
editor can't reach Python internals, with ``StrictUndefined``: a variable the profile
doesn't have is an error, never an empty string in a customer's inbox.

What a template sees::

    {{ traits.first_name }}         the profile's traits (identify, computed, RFM...)
    {{ profile.id }}                the profile id
    {{ segment }}                   the segment the person entered
    {{ unsubscribe_url }}           where the channel offers one (e-mail)

``preview`` renders with a sample profile and reports every missing variable at
once, so mistakes surface when the template is saved, not when it is sent. Use
``{{ traits.city | default("there") }}`` for a trait that may be absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from junction.core.errors import ConfigError

__all__ = ["MessageTemplate", "Rendered", "TemplateError", "preview", "render", "validate"]

#: Longest rendered field: a runaway loop must not build a megabyte SMS.
MAX_RENDERED = 100_000


class TemplateError(ConfigError):
    """A template that can't be compiled or rendered; ``field`` says which part."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class MessageTemplate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The parts of a message a person sees, as Jinja2 templates. All optional."""

    subject: str | None = None
    text: str | None = None
    html: str | None = None
    #: Platform-side template variables (SMS TemplateParam...), each a template.
    params: dict[str, str] = {}

    def fields(self) -> dict[str, str]:
        parts = {"subject": self.subject, "text": self.text, "html": self.html}
        found = {name: source for name, source in parts.items() if source is not None}
        found.update({f"params.{name}": source for name, source in self.params.items()})
        return found


class Rendered(msgspec.Struct, frozen=True, kw_only=True):
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    params: dict[str, str] = {}


_TEXT = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
)
_HTML = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)


def _environment(field: str) -> SandboxedEnvironment:
    # Only HTML is escaped: escaping an SMS would show "&amp;" to the reader.
    return _HTML if field == "html" else _TEXT


def validate(template: MessageTemplate) -> dict[str, set[str]]:
    """Compile every part; return the top-level variables each part uses.

    Raises:
        TemplateError: a part has a syntax error (with its line).
    """
    used: dict[str, set[str]] = {}
    for field, source in template.fields().items():
        try:
            tree = _environment(field).parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"syntax error on line {exc.lineno}: {exc.message}", field
            ) from None
        used[field] = meta.find_undeclared_variables(tree)
    return used


def render(template: MessageTemplate, context: Mapping[str, Any]) -> Rendered:
    """Render every part for one person.

    Raises:
        TemplateError: a variable is missing, the sandbox refused an operation, or the
            result is too long.
    """
    out: dict[str, Any] = {"params": {}}
    for field, source in template.fields().items():
        value = _render_one(field, source, context)
        if field.startswith("params."):
            out["params"][field.removeprefix("params.")] = value
        else:
            out[field] = value
    return Rendered(**out)


def preview(template: MessageTemplate, context: Mapping[str, Any]) -> Rendered:
    """Render with a sample person, reporting every missing variable at once.

    Raises:
        TemplateError: syntax errors, or the list of variables the sample lacks.
    """
    validate(template)
    missing: list[str] = []
    for field, source in template.fields().items():
        for path in _paths(_environment(field).parse(source)):
            if not _resolves(context, path):
                missing.append(f"{field}: {'.'.join(path)}")
    if missing:
        raise TemplateError(
            "the sample profile has no value for "
            + ", ".join(sorted(set(missing)))
            + ' (give it one, or use `| default("...")`)',
            "template",
        )
    return render(template, context)


def _render_one(field: str, source: str, context: Mapping[str, Any]) -> str:
    try:
        value = _environment(field).from_string(source).render(context)
    except UndefinedError as exc:
        raise TemplateError(f"missing variable: {exc.message}", field) from None
    except SecurityError as exc:
        raise TemplateError(f"not allowed in a template: {exc}", field) from None
    except TemplateSyntaxError as exc:
        raise _syntax_error(exc, field) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"{type(exc).__name__}: {exc}", field) from None
    if len(value) > MAX_RENDERED:
        raise TemplateError(f"renders to {len(value)} characters (limit {MAX_RENDERED})", field)
    return value


def _syntax_error(exc: TemplateSyntaxError, field: str) -> TemplateError:
    return TemplateError(f"syntax error on line {exc.lineno}: {exc.message}", field)


def _paths(tree: nodes.Template) -> list[tuple[str, ...]]:
    """Dotted variable paths read outside a ``default`` filter (``traits.city``...)."""
    defaulted: set[int] = set()
    for node in tree.find_all(nodes.Filter):
        if node.name in ("default", "d"):
            defaulted.update(id(inner) for inner in node.node.find_all((nodes.Name, nodes.Getattr)))
            defaulted.add(id(node.node))
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    assigned.update(_TEXT.globals)  # range, dict, namespace...
    paths: list[tuple[str, ...]] = []
    for node in tree.find_all(nodes.Getattr):
        path = _path_of(node)
        if path and id(node) not in defaulted and path[0] not in assigned:
            paths.append(path)
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and id(node) not in defaulted and node.name not in assigned:
            paths.append((node.name,))
    return paths


def _path_of(node: nodes.Node) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, nodes.Getattr):
        parts.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    return (node.name, *reversed(parts))


def _resolves(context: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    value: Any = context
    for part in path:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return False
    return True
