"""Forms check the shape of input; the rules live in alliance.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Kind, Level


def add_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names, or above the form.

    Every page uses this, so a page shows exactly the message the API gives for the same input,
    and a field the form does not have never turns the message into a 500.
    """
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class AllianceForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=Kind.choices, initial=Kind.REGIONAL)
    code = forms.CharField(label=_("行政区划代码"), max_length=32)
    initiating_organisation = forms.CharField(label=_("发起党组织"), max_length=100, required=False)
    description = forms.CharField(label=_("简介"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
