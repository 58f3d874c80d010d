"""The audit page's filters: bad values are reported on the form, never a 500."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import LABELS
from .selectors import KINDS, AuditFilters

MAX_ID = 2**63 - 1


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False,
                             choices=[("", _("全部类型"))] + [(k.key, k.label) for k in KINDS.values()])
    action = forms.ChoiceField(label=_("操作"), required=False,
                               choices=[("", _("全部操作"))] + list(LABELS.items()))
    user = forms.IntegerField(label=_("用户ID"), required=False, min_value=1, max_value=MAX_ID)
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    object_id = forms.IntegerField(label=_("对象ID"), required=False, min_value=1, max_value=MAX_ID)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError(_("起始日期不能晚于截止日期。"))
        return data

    def filters(self) -> AuditFilters:
        """The filters of a valid form; an invalid form filters nothing out (its errors are shown)."""
        if not self.is_valid():
            return AuditFilters()
        data = self.cleaned_data
        return AuditFilters(kind=data["kind"] or None, label=data["action"] or None, user_id=data["user"],
                            since=data["since"], until=data["until"], obj_id=data["object_id"])
