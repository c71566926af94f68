"""The template sandbox: what a marketer's template can and cannot reach, and locale fallback."""

import pytest

from messaging.models import MessageTemplate, TemplateTranslation
from messaging.rendering import build_context, content_errors, content_for, render_text, template_errors


@pytest.fixture
def customer(make_customer):
    return make_customer(first_name="Ada", locale="nl-BE", attributes={"tier": "gold", "points": 120})


def _render(source, customer, data=None, html=False):
    return render_text(source, build_context(customer=customer, data=data or {}), html=html)


def test_customer_fields_attributes_and_event_data_render(customer):
    out = _render("{{ customer.first_name }} {{ customer.attributes.tier }} {{ data.cart_value|floatformat:2 }} "
                  "{% for i in data.items %}{{ i.sku }}{% endfor %}", customer,
                  {"cart_value": 142, "items": [{"sku": "A"}, {"sku": "B"}]})
    assert out == "Ada gold 142.00 AB"


def test_settings_and_unknown_names_render_nothing(customer):
    assert _render("[{{ settings }}][{{ settings.SECRET_KEY }}][{{ request }}]", customer) == "[][][]"


def test_no_method_of_a_model_is_reachable(customer):
    # The context holds read-only mappings, not the Customer: there is no delete() or save() to call.
    assert _render("[{{ customer.delete }}][{{ customer.save }}][{{ customer.pk }}][{{ data.clear }}]",
                   customer, {"x": 1}) == "[][][][]"
    customer.refresh_from_db()  # still there
    ctx = build_context(customer=customer, data={"x": 1})
    render_text("{{ data.clear }}{{ data.pop }}", ctx)
    assert ctx["data"]["x"] == 1


def test_dangerous_tags_are_not_available():
    for source in ("{% debug %}", "{% load i18n %}", "{% include 'x.html' %}", "{% url 'admin:index' %}",
                   "{% csrf_token %}", "{% extends 'base.html' %}"):
        assert template_errors(source), source


def test_syntax_errors_and_unknown_roots_are_reported_with_the_name():
    assert template_errors("{% if %}")
    assert template_errors("{{ customer.first_name|nosuchfilter }}")
    [problem] = template_errors("Hi {{ user.name }}")
    assert "user.name" in problem
    assert template_errors("Hi {{ customer.first_name }} {{ data.anything }} {{ links.preferences }}") == []


def test_html_fields_escape_customer_data(customer):
    customer.first_name = "<script>x</script>"
    assert _render("<p>{{ customer.first_name }}</p>", customer, html=True) == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    assert _render("{{ customer.first_name }}", customer) == "<script>x</script>"  # plain text stays plain


def test_links_are_signed_customer_urls(customer):
    out = _render("{{ links.preferences }} {{ links.inbox }}", customer)
    assert "/preferences/" in out and "/inbox/" in out


def test_content_errors_name_the_field():
    assert set(content_errors({"push_title": "{% if %}", "email_html": "<p>{{ customer.email }}</p>"})) == {
        "push_title"}


def test_translation_is_used_with_field_fallback_to_the_default_locale(customer, topics):
    t = MessageTemplate.objects.create(key="x", name="x", topic=topics["offers"], push_title="Hello",
                                       push_body="Body EN")
    TemplateTranslation.objects.create(template=t, locale="nl", push_title="Hallo")
    assert content_for(template=t, content=None, locale="nl-BE")["push_title"] == "Hallo"
    assert content_for(template=t, content=None, locale="nl-BE")["push_body"] == "Body EN"
    assert content_for(template=t, content=None, locale="sv")["push_title"] == "Hello"
