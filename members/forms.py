"""Forms check the shape of input; the rules live in members.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, MembershipRole, PartyOrgForm
from .services import MAX_PARTY_MEMBERS as PARTY_MEMBER_COUNT_MAX  # the same limit as the service


class MemberUnitForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=120)
    category = forms.ChoiceField(label=_("单位类别"), choices=Category.choices)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=32, help_text=_("18位,最后一位为校验位。")
    )
    party_org_form = forms.ChoiceField(label=_("党组织形式"), choices=PartyOrgForm.choices,
                                       initial=PartyOrgForm.NONE)
    party_member_count = forms.IntegerField(label=_("党员人数"), min_value=0, max_value=PARTY_MEMBER_COUNT_MAX,
                                            initial=0)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class MembershipForm(forms.Form):
    unit = forms.IntegerField(label=_("成员单位"), widget=forms.Select)
    role = forms.ChoiceField(label=_("角色"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER)
    representative = forms.CharField(label=_("兼职委员/代表"), max_length=60, required=False)
    joined_on = forms.DateField(label=_("加入日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, unit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget.choices = [("", "---------"), *unit_choices]


class MembershipEditForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=MembershipRole.choices)
    representative = forms.CharField(label=_("兼职委员/代表"), max_length=60, required=False)
    left_on = forms.DateField(label=_("退出日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("填写后该单位退出本共同体。"))


class ImportForm(forms.Form):
    # The size limit (members.importing.MAX_FILE_BYTES) is checked by the importer itself, so every
    # caller gets it; the page shows it like any other file-level error.
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))
