"""Landing page bodies: Markdown to HTML, then sanitised, so a pasted <script> or onclick never reaches a visitor."""

import markdown
import nh3

_TAGS = {"a", "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "blockquote", "code", "pre", "ul", "ol", "li",
         "h2", "h3", "h4", "img", "table", "thead", "tbody", "tr", "th", "td", "span"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "th": {"align"},
               "td": {"align"}}


def markdown_to_safe_html(body: str) -> str:
    html = markdown.markdown(body or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")
