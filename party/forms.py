"""Forms check the shape of input; the rules and their messages live in party.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PointKind, PostKind


class PartyMemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    employer_unit = forms.TypedChoiceField(label=_("工作单位(成员单位)"), required=False, coerce=int,
                                           empty_value=None, choices=())
    employer_text = forms.CharField(label=_("工作单位(非成员单位)"), max_length=120, required=False)
    party_org = forms.CharField(label=_("所在党组织"), max_length=120, required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer_unit"].choices = [("", "—")] + [(u.pk, u.name) for u in units]


class PostForm(forms.Form):
    title = forms.CharField(label=_("岗位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("岗位类别"), choices=PostKind.choices)
    places = forms.IntegerField(label=_("名额"), min_value=1, max_value=500)
    description = forms.CharField(label=_("岗位职责"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class HoursForm(forms.Form):
    hours = forms.DecimalField(label=_("服务时长(小时)"), min_value=0.1, max_value=24, decimal_places=1)
    note = forms.CharField(label=_("说明"), max_length=100, required=False)


class RedeemForm(forms.Form):
    hours = forms.DecimalField(label=_("兑换时长(小时)"), min_value=0.1, max_value=24, decimal_places=1)
    reason = forms.CharField(label=_("兑换的服务"), max_length=200)


class PointRuleForm(forms.Form):
    def __init__(self, *args, rules: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in PointKind:
            if kind == PointKind.REVERSAL:
                continue
            self.fields[kind.value] = forms.IntegerField(label=kind.label, min_value=0, max_value=1000,
                                                         initial=rules[kind.value])
