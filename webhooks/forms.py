"""Forms check the shape of input; the rules live in webhooks.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EventKind


class SubscriptionForm(forms.Form):
    url = forms.CharField(label=_("接收地址"), max_length=1000,
                          help_text=_("对方系统接收事件的网址,须使用 https。"),
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
    events = forms.MultipleChoiceField(label=_("订阅事件"), choices=EventKind.choices,
                                       widget=forms.CheckboxSelectMultiple, required=False)
