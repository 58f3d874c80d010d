"""Forms check the shape of input; the rules live in meetings.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MeetingKind

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_field(label, required=True):
    return forms.DateTimeField(
        label=label, required=required, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("会议名称"), max_length=200)
    kind = forms.ChoiceField(label=_("会议类型"), choices=MeetingKind.choices, initial=MeetingKind.REGULAR)
    starts_at = _datetime_field(_("开始时间"))
    ends_at = _datetime_field(_("结束时间"), required=False)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    agenda = forms.CharField(label=_("议程"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                             max_length=5000)
    units = forms.ModelMultipleChoiceField(label=_("邀请成员单位"), queryset=None, required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("议题"), max_length=200)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                           max_length=5000)
    unit = forms.TypedChoiceField(label=_("提出单位"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, units, own_level, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("发起党组织"))] if own_level else []
        choices += [(u.pk, u.name) for u in units]
        self.fields["unit"].choices = choices
        self.fields["unit"].required = not own_level
