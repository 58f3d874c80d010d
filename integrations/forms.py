"""Forms check the shape of input; the rules live in integrations.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Scope


class ApiClientForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("如:12345热线、网格化管理系统。"))
    scopes = forms.MultipleChoiceField(label=_("权限范围"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    rate_limit_per_minute = forms.IntegerField(label=_("每分钟请求上限"), initial=600, min_value=1,
                                               max_value=100_000)


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("我已确认"), required=True)
