"""Forms check the shape of input; the rules live in tasks.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category


class ItemForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  max_length=5000)


class DemandForm(forms.Form):
    """群众点单: what a resident fills in on the community's public page."""

    title = forms.CharField(label=_("您遇到的问题"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    description = forms.CharField(label=_("详细情况"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  max_length=2000)
    requester_name = forms.CharField(label=_("称呼"), max_length=60, required=False)
    requester_phone = forms.RegexField(label=_("联系电话"), regex=r"^\+?[0-9][0-9 -]{6,18}$", max_length=20,
                                       error_messages={"invalid": _("请填写正确的手机号或座机号。")})
    # A field people do not see: a bot that fills it in is refused.
    website = forms.CharField(required=False, widget=forms.TextInput(
        attrs={"tabindex": "-1", "autocomplete": "off", "class": "hp"}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ConfirmForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=_("问题解决了吗?"), coerce=lambda v: v == "yes",
        choices=[("yes", _("已解决")), ("no", _("还没有解决"))], widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(label=_("评分"), coerce=int,
                                   choices=[(i, "★" * i) for i in range(5, 0, -1)], widget=forms.RadioSelect)
    comment = forms.CharField(label=_("评价"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
