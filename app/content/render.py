"""Markdown to safe HTML for module text: markdown-it tokens in, sanitised GOV.UK-styled HTML out."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

ALLOWED_TAGS = frozenset(
    {
        "p", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre",
        "table", "thead", "tbody", "tr", "th", "td", "img",
        "h3", "h4", "h5", "h6", "br", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
LINK_SCHEMES = ("http://", "https://", "mailto:", "#")
IMAGE_SCHEMES = frozenset({"http", "https"})

# Classes are set by the sanitiser, so an author can never add or remove one.
GOVUK_CLASSES = {
    "p": "govuk-body",
    "a": "govuk-link",
    "ul": "govuk-list govuk-list--bullet",
    "ol": "govuk-list govuk-list--number",
    "blockquote": "govuk-inset-text",
    "h3": "govuk-heading-m",
    "h4": "govuk-heading-s",
    "h5": "govuk-heading-s",
    "h6": "govuk-heading-s",
    "table": "govuk-table",
    "thead": "govuk-table__head",
    "tbody": "govuk-table__body",
    "tr": "govuk-table__row",
    "th": "govuk-table__header",
    "td": "govuk-table__cell",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "img": "app-content-image",
}


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    """Drop link targets outside http(s), mailto and same-page fragments; keep the rest."""
    if element == "a" and attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    if element == "img" and attribute == "src":
        # Relative image paths are fine, but never a scheme we have not allowed (data:, javascript:).
        head = value.split("/", 1)[0]
        return None if ":" in head and head.split(":", 1)[0].lower() not in IMAGE_SCHEMES else value
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    # "*" replaces nh3's default generic attributes (lang, title) with none at all.
    attributes={"*": set()} | {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_keep_attribute,
    link_rel="noopener noreferrer",
    set_tag_attribute_values={tag: {"class": cls} for tag, cls in GOVUK_CLASSES.items()},
    url_schemes={"http", "https", "mailto"},
)


@lru_cache(maxsize=2)
def markdown(html: bool = False) -> MarkdownIt:
    """The shared parser; `html=True` is only for finding raw HTML an author left in."""
    md = MarkdownIt("commonmark", {"html": html}).enable("table")
    if not html:
        md.use(tasklists_plugin).use(attrs_plugin)
    return md


def sanitise(html: str) -> str:
    """Clean rendered HTML against the allow-list and add GOV.UK Frontend classes."""
    return _CLEANER.clean(html).strip()


def render_tokens(tokens: Sequence[Token]) -> str:
    """Render a balanced run of block (or inline) tokens to sanitised HTML."""
    md = markdown()
    return sanitise(md.renderer.render(list(tokens), md.options, {}))


def render_markdown(text: str) -> str:
    """Render a whole Markdown fragment to sanitised HTML."""
    return render_tokens(markdown().parse(text))


def render_inline(text: str) -> str:
    """Render one line of inline Markdown (no paragraph) to sanitised HTML."""
    return sanitise(markdown().renderInline(text))


def plain_text(children: Sequence[Token]) -> str:
    """The text an inline run shows, without markup (for titles and word counts)."""
    parts: list[str] = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(plain_text(token.children))
    return "".join(parts)


def inline_plain_text(text: str) -> str:
    """Plain text of one line of inline Markdown."""
    tokens = markdown().parseInline(text)
    return plain_text(tokens[0].children or []).strip() if tokens else ""


def word_count(html: str) -> int:
    """Words a learner reads in a piece of rendered HTML."""
    return len(nh3.clean(html, tags=set()).split())
