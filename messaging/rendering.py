"""Personalised message content: marketers' Django templates rendered in a sandbox.

The sandbox is a stand-alone template Engine (not the project's): no template loaders (no include/extends
of files), no tag libraries to {% load %}, and no {% debug %}, {% url %}, {% csrf_token %} or {% load %}.
The context holds only read-only mappings, tuples and plain values built here, never model instances or
settings, so a template can read the customer's fields and attributes, the event data and the links, but
cannot reach the ORM, settings or any method with side effects: there is nothing in reach to call.
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.utils.html import strip_tags

from messaging.models import CONTENT_FIELDS

# The context's top-level names; a template naming anything else is refused on save.
ROOTS = ("customer", "data", "event", "links", "topic")
_SAFE_TAGS = {"autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now", "regroup",
              "resetcycle", "spaceless", "templatetag", "verbatim", "widthratio", "with", "lorem"}
_HTML_FIELDS = {"email_html"}
_INVALID = "\x00INVALID[%s]\x00"
_INVALID_RE = re.compile("\x00INVALID\\[([^\\]]*)\\]\x00")


def _sandbox_library() -> Library:
    library = Library()
    library.tags = {name: tag for name, tag in defaulttags.register.tags.items() if name in _SAFE_TAGS}
    library.filters = dict(defaultfilters.register.filters)
    return library


@lru_cache(maxsize=4)
def engine(*, autoescape: bool = True, strict: bool = False) -> Engine:
    """The sandboxed engine. `strict` marks unknown variables, for validation on save."""
    sandbox = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, builtins=[], autoescape=autoescape,
                     string_if_invalid=_INVALID if strict else "", debug=False)
    sandbox.template_builtins = [_sandbox_library()]
    return sandbox


def _freeze(value: Any) -> Any:
    """Plain JSON-like data as read-only mappings and tuples; anything else becomes its string."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class Links(Mapping[str, str]):
    """The customer's signed links, made only when a template uses them (signing costs a little)."""

    def __init__(self, customer_id: int, topic_id: int | None, channel: str | None) -> None:
        self._args = (customer_id, topic_id, channel)
        self._made: dict[str, str] = {}

    _NAMES = ("preferences", "inbox", "unsubscribe")

    def __getitem__(self, name: str) -> str:
        if name not in self._NAMES:
            raise KeyError(name)
        if name not in self._made:
            from preferences import tokens

            customer_id, topic_id, channel = self._args
            if name == "preferences":
                self._made[name] = tokens.preference_center_url(customer_id)
            elif name == "inbox":
                self._made[name] = tokens.inbox_url(customer_id)
            else:
                self._made[name] = (tokens.unsubscribe_url(customer_id, topic_id, channel)
                                    if topic_id is not None and channel else tokens.preference_center_url(customer_id))
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._NAMES)

    def __len__(self) -> int:
        return len(self._NAMES)


def customer_context(customer: Any) -> MappingProxyType:
    """The customer as templates see it: fields and attributes, no methods."""
    return _freeze({
        "external_id": customer.external_id, "email": customer.email, "phone": customer.phone,
        "first_name": customer.first_name, "last_name": customer.last_name, "full_name": customer.full_name,
        "locale": customer.locale, "timezone": customer.timezone, "birthday": customer.birthday,
        "attributes": customer.attributes if isinstance(customer.attributes, dict) else {},
    })


def build_context(*, customer: Any, data: dict[str, Any] | None, topic: Any = None,
                  channel: str | None = None) -> dict[str, Any]:
    frozen = _freeze(data if isinstance(data, dict) else {})
    return {
        "customer": customer_context(customer),
        "data": frozen,
        "event": frozen,
        "topic": _freeze({"key": topic.key, "name": topic.name_in(customer.locale or "en")} if topic else {}),
        "links": Links(customer.pk, topic.pk if topic else None, channel),
    }


class RenderError(Exception):
    """A template that cannot be rendered (only possible when it was never validated, e.g. inline content)."""


def render_text(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    if not source:
        return ""
    if "{" not in source:
        return source  # most fields are plain text: skip the template machinery
    try:
        template = _compiled(source, html)
        return template.render(Context(context, autoescape=html))
    except TemplateSyntaxError as exc:
        raise RenderError(str(exc)) from exc


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Any:
    # Compiled templates are immutable and shared by a batch's renders; the cache keeps a worker from
    # re-parsing the same campaign template for every customer.
    return engine(autoescape=html).from_string(source)


def template_errors(source: str, *, html: bool = False) -> list[str]:
    """Why `source` is not a usable template: syntax errors and names outside the context. [] when fine."""
    if not source or "{" not in source:
        return []
    try:
        template = engine(autoescape=html, strict=True).from_string(source)
    except TemplateSyntaxError as exc:
        return [str(exc)]
    sample = {"customer": MappingProxyType({}), "data": MappingProxyType({}), "event": MappingProxyType({}),
              "topic": MappingProxyType({}), "links": MappingProxyType({n: "" for n in Links._NAMES})}
    try:
        output = template.render(Context(sample, autoescape=html))
    except Exception as exc:  # noqa: BLE001 - any failure of a marketer's template is reported, not raised
        return [f"{type(exc).__name__}: {exc}"]
    unknown = sorted({name for name in _INVALID_RE.findall(output) if name.split(".")[0].split("|")[0] not in ROOTS})
    return [f"Unknown variable {name!r}: use one of {', '.join(ROOTS)}." for name in unknown]


def content_errors(content: Mapping[str, Any]) -> dict[str, list[str]]:
    """template_errors for each content field of a template, translation or inline content."""
    errors: dict[str, list[str]] = {}
    for name in CONTENT_FIELDS:
        value = content.get(name)
        if value and isinstance(value, str):
            problems = template_errors(value, html=name in _HTML_FIELDS)
            if problems:
                errors[name] = problems
    return errors


@dataclass(frozen=True)
class Rendered:
    """A message's content for one customer, every field rendered (empty when the template has none)."""

    push_title: str = ""
    push_body: str = ""
    push_url: str = ""
    push_image: str = ""
    push_icon: str = ""
    email_subject: str = ""
    email_html: str = ""
    email_text: str = ""
    sms_text: str = ""
    inbox_title: str = ""
    inbox_body: str = ""
    inbox_url: str = ""
    inbox_image: str = ""

    def has(self, channel: str) -> bool:
        """Whether there is something to send on `channel`."""
        return {"web_push": bool(self.push_title), "email": bool(self.email_subject and (self.email_html or
                                                                                          self.email_text)),
                "sms": bool(self.sms_text), "inbox": bool(self.inbox_title or self.push_title)}.get(channel, False)


def content_for(*, template: Any, content: Mapping[str, Any] | None, locale: str) -> dict[str, str]:
    """The raw (unrendered) content: inline content, or the template's translation for the locale
    (exact, then its language) with every empty field falling back to the default-locale content."""
    if template is None:
        return {name: str((content or {}).get(name) or "") for name in CONTENT_FIELDS}
    base = {name: getattr(template, name) for name in CONTENT_FIELDS}
    locale = (locale or "").replace("_", "-").lower()
    if locale and locale != (template.default_locale or "").lower():
        translations = {t.locale.lower(): t for t in template.translations.all()}
        chosen = translations.get(locale) or translations.get(locale.split("-")[0])
        if chosen is not None:
            base.update({name: getattr(chosen, name) for name in CONTENT_FIELDS if getattr(chosen, name)})
    return base


def render_content(raw: Mapping[str, str], context: dict[str, Any], *, fields: tuple[str, ...] = CONTENT_FIELDS
                   ) -> Rendered:
    """Render the given fields of `raw`; raises RenderError."""
    out = {name: render_text(raw.get(name, ""), context, html=name in _HTML_FIELDS).strip()
           for name in fields}
    if "email_text" in fields and not out.get("email_text") and out.get("email_html"):
        out["email_text"] = strip_tags(out["email_html"]).strip()
    return Rendered(**out)


CHANNEL_FIELDS = {
    "web_push": ("push_title", "push_body", "push_url", "push_image", "push_icon",
                 "inbox_title", "inbox_body", "inbox_url", "inbox_image"),
    "email": ("email_subject", "email_html", "email_text"),
    "sms": ("sms_text",),
    "inbox": ("inbox_title", "inbox_body", "inbox_url", "inbox_image",
              "push_title", "push_body", "push_url", "push_image"),
}
