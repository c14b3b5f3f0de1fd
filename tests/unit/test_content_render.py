"""Rendering module Markdown: GOV.UK classes on, anything unsafe off."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app.content.render import inline_plain_text, render_inline, render_markdown, sanitise, word_count


def test_govuk_classes_on_common_elements():
    html = render_markdown("Text with [a link](https://www.gov.uk).\n\n- one\n- two\n\n1. first\n\n> quoted\n")
    assert '<p class="govuk-body">' in html
    assert '<ul class="govuk-list govuk-list--bullet">' in html
    assert '<ol class="govuk-list govuk-list--number">' in html
    assert '<blockquote class="govuk-inset-text">' in html
    assert '<a href="https://www.gov.uk" class="govuk-link" rel="noopener noreferrer">a link</a>' in html


def test_tables_get_govuk_table_classes_and_lose_inline_styles():
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    for cls in ("govuk-table", "govuk-table__head", "govuk-table__body", "govuk-table__row", "govuk-table__header", "govuk-table__cell"):
        assert f'class="{cls}"' in html
    assert "style" not in html


def test_raw_html_is_escaped_not_passed_through():
    html = render_markdown('Hello <b onclick="x()">there</b>\n\n<div>block</div>\n')
    assert "<b" not in html and "<div" not in html
    assert "&lt;b onclick" in html  # shown as text, never as markup


def test_script_and_event_handlers_are_removed_by_the_sanitiser():
    html = sanitise('<p>a</p><script>alert(1)</script><img src="x.png" alt="x" onerror="alert(1)"><p onmouseover="x">b</p>')
    assert "script" not in html and "alert" not in html and "onmouseover" not in html
    assert '<img src="x.png" alt="x"' in html


def test_javascript_and_data_urls_are_never_links():
    assert "href" not in render_markdown("[click](javascript:alert(1))")
    assert "href" not in render_markdown("[click](JAVASCRIPT:alert(1)) [x](data:text/html,hi)")
    assert "href" not in sanitise('<a href="javascript:alert(1)">x</a>')
    assert "href" not in sanitise('<a href=" JaVaScRiPt:alert(1)">x</a>')
    assert "src" not in sanitise('<img src="data:image/png;base64,AAAA" alt="x">')
    assert 'href="mailto:desk@fcdo.gov.uk"' in sanitise('<a href="mailto:desk@fcdo.gov.uk">x</a>')
    assert 'href="#later"' in sanitise('<a href="#later">x</a>')
    assert "href" not in sanitise('<a href="/admin/delete">x</a>')  # only http(s), mailto and #fragments


def test_disallowed_tags_keep_their_text_but_not_their_markup():
    html = render_markdown("# Big\n\n## Smaller\n\n### Allowed\n")
    assert "<h1" not in html and "<h2" not in html
    assert "Big" in html and "Smaller" in html
    assert '<h3 class="govuk-heading-m">Allowed</h3>' in html


def test_authors_cannot_set_attributes_or_classes():
    html = render_markdown("![map](map.png){.govuk-visually-hidden style=\"x\" title=t}\n\n[x](https://a.example){#id .c}\n")
    assert "govuk-visually-hidden" not in html and "style" not in html and "title" not in html and 'id="' not in html
    assert '<img src="map.png" alt="map"' in html


def test_task_list_checkboxes_do_not_survive():
    assert "<input" not in render_markdown("- [x] done\n- [ ] not done\n")


def test_inline_rendering_and_plain_text():
    assert render_inline("A *b* `c`") == "A <em>b</em> <code>c</code>"
    assert inline_plain_text("The *first* `step`") == "The first step"
    assert word_count(render_markdown("One *two* three.\n\n- four\n")) == 4


ALLOWED_TAG = re.compile(r"</?(p|em|strong|a|ul|ol|li|blockquote|code|pre|table|thead|tbody|tr|th|td|img|h[3-6]|br|hr)[\s>/]")


PIECES = list("<>/=\"' abcxyz:()[]!#*`-\n{}&;") + ["script", "onerror", "javascript:", "<img ", "<a href=", "style"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_no_markup_outside_the_allow_list(text):
    html = render_markdown(text)
    for tag in re.findall(r"<[^>]*>", html):
        assert ALLOWED_TAG.match(tag), tag
        assert not re.search(r"\son\w+=", tag), tag
        assert "javascript:" not in tag.lower(), tag
