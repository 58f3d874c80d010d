"""The person pages' forms: shape only; the rules live in privacy.selectors and privacy.services."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PersonForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            help_text=_("居民没有账号:按手机号查找其提出的事项和评价。"))

    def clean(self):
        data = super().clean()
        if not (data.get("username") or "").strip() and not (data.get("phone") or "").strip():
            raise forms.ValidationError(_("请填写用户名或手机号。"))
        return data


class ExportForm(PersonForm):
    format = forms.ChoiceField(label=_("格式"), choices=[("xlsx", "Excel (.xlsx)"), ("json", "JSON")],
                               initial="xlsx")


class EraseConfirmForm(PersonForm):
    confirm = forms.BooleanField(label=_("我确认注销该人员的个人信息(不可撤销)"), required=True)
