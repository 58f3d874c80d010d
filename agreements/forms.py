"""Forms check the shape of input; the rules (and their messages) live in agreements.services.

Text, dates and numbers are handed to the services as typed, so a form shows the same message
as the API for the same mistake.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.uploads import upload_types_text

from .models import NeedSource, Priority, ProjectStatus, Recurrence, ResourceCategory

# --- agreements: the agreement pages (A3a) --------------------------------------------------

def _date_field(label, **kwargs):
    # Text, not DateField: the service parses it and names the problem in its own words.
    return forms.CharField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _text_area(label, rows=3, **kwargs):
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class AgreementEditForm(forms.Form):
    """谈约: the title, term and preamble of a draft."""

    title = forms.CharField(label=_("协议名称"), required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    term_start = _date_field(_("履约期起"))
    term_end = _date_field(_("履约期止"))
    preamble = _text_area(_("协议说明"), rows=4)


class AgreementForm(AgreementEditForm):
    """A new draft, with the member units that will sign it besides the initiating organisation."""

    units = forms.ModelMultipleChoiceField(
        label=_("签约成员单位"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("发起党组织自动成为签约方;成员单位也可以在起草时再添加。"),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units


class ClauseForm(forms.Form):
    text = _text_area(_("条款内容"))
    position = forms.IntegerField(label=_("插入到第几条"), required=False, min_value=1,
                                  help_text=_("留空则加在最后。"))


class CommitmentForm(forms.Form):
    """承诺事项: who promises what, and when (once by a date, or each period on a day of the month)."""

    party = forms.TypedChoiceField(label=_("承诺方"), coerce=int, empty_value=None, required=False)
    title = forms.CharField(label=_("承诺事项"), required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    description = _text_area(_("具体内容"), rows=2)
    category = forms.ChoiceField(label=_("类别"), choices=ResourceCategory.choices, initial=ResourceCategory.OTHER)
    recurrence = forms.ChoiceField(label=_("周期"), choices=Recurrence.choices, initial=Recurrence.ONCE)
    due_on = _date_field(_("完成日期"), help_text=_("一次性承诺填写。"))
    day_of_month = forms.CharField(
        label=_("每期日期"), required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 28, "inputmode": "numeric"}),
        help_text=_("每月、每季度、每年的承诺填写,1至28日。"),
    )

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [(p.pk, p.name) for p in parties]


class EvidenceForm(forms.Form):
    """履约凭证: what was done, with an optional file and the due date it answers."""

    occurrence = forms.TypedChoiceField(label=_("对应期次"), coerce=int, empty_value=None, required=False)
    text = _text_area(_("履约情况"))
    file = forms.FileField(label=_("附件"), required=False,
                           help_text=_("PDF、Word、Excel或图片(jpg、png),不超过10MB。"),
                           widget=forms.ClearableFileInput(attrs={"accept": upload_types_text()}))

    def __init__(self, *args, occurrences=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurrence"].choices = [("", _("不指定"))] + [
            (o.pk, o.due_on.isoformat()) for o in occurrences
        ]


class PartyRatingForm(forms.Form):
    """评约 by a party, through an account entitled to sign for it."""

    party = forms.TypedChoiceField(label=_("评价方"), coerce=int, empty_value=None, required=False)
    score = forms.TypedChoiceField(label=_("评分"), coerce=int, empty_value=None, required=False,
                                   widget=forms.RadioSelect, choices=[(i, "★" * i) for i in range(5, 0, -1)])
    comment = _text_area(_("评价意见"))

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [(p.pk, p.name) for p in parties]


class TerminateForm(forms.Form):
    reason = _text_area(_("终止理由"))


class CancelForm(forms.Form):
    reason = _text_area(_("撤销理由"))


# --- end of the agreement pages' forms (A3a) ------------------------------------------------


# --- the three lists, claims and projects (A3b) ----------------------------------------------

class ResourceForm(forms.Form):
    """资源清单: what a member unit offers; the unit is chosen only when listing a new resource."""

    unit = forms.ModelChoiceField(label=_("提供单位"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("资源名称"), required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    category = forms.ChoiceField(label=_("类别"), choices=ResourceCategory.choices)
    quantity = forms.CharField(label=_("数量或时间安排"), required=False,
                               widget=forms.TextInput(attrs={"maxlength": 200}),
                               help_text=_("如“200平方米会议室”“每年5万元”“每月第二个周六上午”。"))
    description = _text_area(_("说明"))
    available = forms.BooleanField(label=_("可提供"), required=False, initial=True)
    available_until = _date_field(_("提供至"), help_text=_("留空表示长期提供。"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is None:  # editing: the offering unit stays the same
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units


class NeedForm(forms.Form):
    """需求清单: what the community needs, who raised it and how urgent it is."""

    title = forms.CharField(label=_("需求"), required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    category = forms.ChoiceField(label=_("类别"), choices=ResourceCategory.choices)
    source = forms.ChoiceField(label=_("来源"), choices=NeedSource.choices, initial=NeedSource.RESIDENTS)
    priority = forms.ChoiceField(label=_("优先级"), choices=Priority.choices, initial=Priority.NORMAL)
    description = _text_area(_("说明"), rows=4)


class ClaimConfirmForm(forms.Form):
    """确认认领: into a draft agreement of the alliance, or a new one; and the date it is due."""

    agreement = forms.ModelChoiceField(label=_("并入协议"), queryset=None, required=False,
                                       empty_label=_("新建一份共建协议(谈约)"))
    due_on = _date_field(_("承诺完成日期"))

    def __init__(self, *args, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements


class ProjectForm(forms.Form):
    """项目清单: a project led by a member unit, tying the alliance's needs to resources."""

    title = forms.CharField(label=_("项目名称"), required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    lead_unit = forms.ModelChoiceField(label=_("牵头单位"), queryset=None, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=ProjectStatus.choices)
    budget = forms.CharField(label=_("预算(元)"), required=False, initial="0",
                             widget=forms.NumberInput(attrs={"min": 0, "step": "0.01", "inputmode": "decimal"}))
    starts_on = _date_field(_("开始日期"))
    ends_on = _date_field(_("结束日期"))
    description = _text_area(_("项目内容"), rows=4)
    needs = forms.ModelMultipleChoiceField(label=_("对应需求"), queryset=None, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    resources = forms.ModelMultipleChoiceField(label=_("使用资源"), queryset=None, required=False,
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, units, needs, resources, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.fields["needs"].queryset = needs
        self.fields["resources"].queryset = resources
        self.fields["resources"].label_from_instance = lambda r: f"{r.title}({r.unit.name})"
        if not editing:  # a new project starts as planned (筹备中)
            del self.fields["status"]


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点"), required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    due_on = _date_field(_("计划完成"))


# --- end of the lists' forms (A3b) ----------------------------------------------------------
