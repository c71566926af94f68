"""The preference page's form: one checkbox per topic x channel plus the customer's settings.

Built from the grid the page shows, so a posted field for a topic or channel that is not on the page is
simply ignored, and a missing checkbox means "off" (that is how HTML forms post unchecked boxes).
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from preferences.models import Channel, CustomerSettings, Frequency
from preferences.selectors import TopicRow

# A message context keeps Django's own catalogs (admin, auth: "Email" = "E-Mail-Adresse") from winning.
CHANNEL_LABELS = {
    Channel.WEB_PUSH: pgettext_lazy("channel", "Push notifications"),
    Channel.EMAIL: pgettext_lazy("channel", "Email"),
    Channel.SMS: pgettext_lazy("channel", "Text message (SMS)"),
    Channel.INBOX: pgettext_lazy("channel", "Inbox on our website"),
}
FREQUENCY_LABELS = {
    Frequency.AS_IT_HAPPENS: _("As it happens"),
    Frequency.DAILY: _("At most 1 a day"),
    Frequency.WEEKLY: _("At most 3 a week"),
}


def switch_name(topic_id: int, channel: str) -> str:
    return f"t{topic_id}_{channel}"


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(label=_("How often may we send offers and tips?"), widget=forms.RadioSelect)
    quiet_hours_enabled = forms.BooleanField(label=_("Keep quiet hours"), required=False)
    quiet_start = forms.TimeField(label=_("Quiet from"), widget=forms.TimeInput(attrs={"type": "time"},
                                                                                 format="%H:%M"))
    quiet_end = forms.TimeField(label=_("Quiet until"), widget=forms.TimeInput(attrs={"type": "time"},
                                                                                format="%H:%M"))

    def __init__(self, *args: Any, grid: list[TopicRow], prefs: CustomerSettings, **kwargs: Any) -> None:
        initial = {"frequency": prefs.frequency, "quiet_hours_enabled": prefs.quiet_hours_enabled,
                   "quiet_start": prefs.quiet_start, "quiet_end": prefs.quiet_end}
        order = [c for c in (prefs.channel_order or []) if c in Channel.values]
        order += [c for c in Channel.values if c not in order]
        for n, channel in enumerate(order, 1):
            initial[f"order_{n}"] = channel
        for channel in Channel.values:
            initial[f"no_marketing_{channel}"] = channel in (prefs.no_marketing_channels or [])
        for row in grid:
            for cell in row.cells:
                if cell.available:
                    initial[switch_name(row.topic.pk, cell.channel)] = cell.opted_in
        super().__init__(*args, initial=initial, **kwargs)
        self.grid = grid
        self.fields["frequency"].choices = [(k, FREQUENCY_LABELS[k]) for k in Frequency.values]
        channel_choices = [(c, CHANNEL_LABELS[c]) for c in Channel.values]
        for n in range(1, len(Channel.values) + 1):
            self.fields[f"order_{n}"] = forms.ChoiceField(label=_("Choice %(n)s") % {"n": n},
                                                          choices=channel_choices)
        for channel in Channel.values:
            self.fields[f"no_marketing_{channel}"] = forms.BooleanField(
                label=CHANNEL_LABELS[channel], required=False)
        for row in grid:
            for cell in row.cells:
                if cell.available:
                    self.fields[switch_name(row.topic.pk, cell.channel)] = forms.BooleanField(
                        label=CHANNEL_LABELS[cell.channel], required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        picked = [data.get(f"order_{n}") for n in range(1, len(Channel.values) + 1)]
        if None not in picked and len(set(picked)) != len(picked):
            raise forms.ValidationError(_("Choose each channel once in the order for order updates."))
        return data

    def choices(self) -> dict[tuple[int, str], bool]:
        return {(row.topic.pk, cell.channel): bool(self.cleaned_data.get(switch_name(row.topic.pk, cell.channel)))
                for row in self.grid for cell in row.cells if cell.available}

    def no_marketing_channels(self) -> list[str]:
        return [c for c in Channel.values if self.cleaned_data.get(f"no_marketing_{c}")]

    def channel_order(self) -> list[str]:
        return [self.cleaned_data[f"order_{n}"] for n in range(1, len(Channel.values) + 1)]
