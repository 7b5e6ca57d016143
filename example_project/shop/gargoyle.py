"""The shop's own condition set: switches that follow a customer's plan and country.

Gargoyle imports every installed app's ``gargoyle.py`` at start-up, so registering it here
is enough for the panel's "Add a condition" form to offer "Customer profile: Plan" and
"Customer profile: Country".
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from gargoyle import gargoyle
from gargoyle.conditions import Choice, ConditionSet, String
from shop.models import Customer


class CountryCode(String):
    """A two-letter ISO code; "de" is stored as "DE", the way profiles store it."""

    def clean(self, value):
        code = super().clean(value).upper()
        if len(code) != 2 or not (code.isascii() and code.isalpha()):
            raise ValidationError("%(field)s: enter a two-letter country code, e.g. DE.", params={"field": self.label})
        return code


@gargoyle.register
class CustomerProfileConditionSet(ConditionSet):
    """Judges a logged-in user by their customer profile.

    ``is_active(key, request)`` passes ``request.user`` along, so views and templates need
    nothing extra. Anonymous users and users without a profile match no condition.
    """

    plan = Choice(Customer.Plan.choices, label="Plan")
    country = CountryCode(label="Country", help_text="A two-letter ISO code, e.g. DE.")

    def get_namespace(self):
        return "shop.customer_profile"

    def get_group_label(self):
        return "Customer profile"

    def can_execute(self, instance):
        return isinstance(instance, get_user_model())

    def get_field_value(self, instance, field_name):
        # Django caches the profile (or its absence) on the user: one query per request.
        value = getattr(getattr(instance, "customer", None), field_name, None)
        return value.upper() if field_name == "country" and value else value  # "de" in the admin is DE
