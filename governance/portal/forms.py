from datetime import datetime, time

from django import forms
from django.utils import timezone

from governance.accounts.models import Team
from governance.approvals.models import Review


class RequestForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    intended_use = forms.CharField(max_length=100, help_text="The intended-use profile.")
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = user.teams.all()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=Review.Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ImportForm(forms.Form):
    """Ask for a model from CivitAI: it is imported as drafts owned by one of my teams."""

    reference = forms.CharField(
        max_length=2000,
        help_text="A CivitAI model (civitai:123), URL, AIR or file hash.",
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = user.teams.all()


class WaiverForm(forms.Form):
    """Waive one failing, non-critical finding of a request's version until a date."""

    finding = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    scope = forms.CharField(max_length=200)
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def expires_at(self) -> datetime:
        """The end of the chosen day, in the site's time zone."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time(23, 59)))
