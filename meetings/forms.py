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
    joint_alliances = forms.ModelMultipleChoiceField(
        label=_("联席共同体"), queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("仅联席会议:参加的其他共同体。它们的成员单位在会议页面“邀请成员单位”中邀请。"))
    units = forms.ModelMultipleChoiceField(label=_("邀请成员单位"), queryset=None, required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, units, alliances, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units
        self.fields["joint_alliances"].queryset = alliances


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("议题"), max_length=200)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                           max_length=5000)
    unit = forms.TypedChoiceField(label=_("提出单位"), coerce=int, empty_value=None, required=False)
    major = forms.BooleanField(label=_("重大事项"), required=False,
                               help_text=_("重大事项须有实到单位的三分之二以上(按本共同体议事规则)赞成才能通过。"
                                           "成员单位提出的议题由发起党组织在审定时确定。"))

    def __init__(self, *args, units, own_level, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("发起党组织"))] if own_level else []
        choices += [(u.pk, u.name) for u in units]
        self.fields["unit"].choices = choices
        self.fields["unit"].required = not own_level
        if not own_level:  # only the initiating organisation marks a proposal major when raising it
            del self.fields["major"]


class MeetingRulesForm(forms.Form):
    """议事规则: shape only; meeting_rules_update checks the fractions."""

    quorum_numerator = forms.IntegerField(label=_("法定人数(分子)"), min_value=0, max_value=1000)
    quorum_denominator = forms.IntegerField(label=_("法定人数(分母)"), min_value=0, max_value=1000,
                                            help_text=_("出席单位须超过应到单位的这一比例,例如1/2。"))
    major_numerator = forms.IntegerField(label=_("重大事项通过比例(分子)"), min_value=0, max_value=1000)
    major_denominator = forms.IntegerField(label=_("重大事项通过比例(分母)"), min_value=0, max_value=1000,
                                           help_text=_("重大事项须有实到单位的这一比例以上赞成,例如2/3。"))
    max_proxies_per_unit = forms.IntegerField(label=_("每个单位最多受托票数"), min_value=0, max_value=1000,
                                              help_text=_("0表示不允许委托表决。"))


class ActionRowForm(forms.Form):
    """One action item of a resolution: a title, a member unit or a staff member, a due date.
    A row left blank is skipped; resolution_assign_actions checks the rest."""

    title = forms.CharField(label=_("决议事项"), max_length=200)
    assignee = forms.ChoiceField(label=_("承办单位或承办人"))
    due = forms.DateField(label=_("办理期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                          input_formats=["%Y-%m-%d"])

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—"), *assignees]


ActionFormSet = forms.formset_factory(ActionRowForm, extra=3, max_num=20, absolute_max=20, validate_max=True)


def assignee_choices(units, users) -> list:
    """The choices of ActionRowForm.assignee: "unit:<id>" and "user:<id>", grouped."""
    return [
        (_("成员单位"), [(f"unit:{u.pk}", u.name) for u in units]),
        (_("书记或工作人员"), [(f"user:{u.pk}", u.get_full_name() or u.username) for u in users]),
    ]
