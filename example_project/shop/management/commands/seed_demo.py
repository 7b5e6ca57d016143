"""``manage.py seed_demo``: the demo switches, one per status. Safe to run again."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from gargoyle import gargoyle
from gargoyle.models import DISABLED, GLOBAL, INHERIT, SELECTIVE, Switch

USER_CONDITIONS = "gargoyle.builtins.UserConditionSet(auth.user)"
ADMIN_USERNAME = ADMIN_PASSWORD = "admin"  # a demo login, printed by run.sh; never for a real site

DEMO_SWITCHES = [
    ("new_checkout", GLOBAL, "New checkout", "The one-step checkout, on for everyone."),
    ("new_checkout:express", INHERIT, "Express delivery", "Follows new_checkout."),
    ("recommendations", SELECTIVE, "Recommendations", "Staff only while it is tested."),
    ("product_reviews", DISABLED, "Product reviews", "Not ready yet."),
]


class Command(BaseCommand):
    help = "Creates the demo switches (one per status); switches that already exist are left alone."

    def handle(self, *args, **options):
        for key, status, label, description in DEMO_SWITCHES:
            switch, created = Switch.objects.get_or_create(
                key=key, defaults={"status": status, "label": label, "description": description}
            )
            if created and key == "recommendations":
                switch.add_condition(gargoyle, USER_CONDITIONS, "is_staff", "1")
            state = "created" if created else "already there"
            self.stdout.write(f"{key}: {state} ({switch.get_status_label()})")
        self._admin()

    def _admin(self):
        User = get_user_model()
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
        self.stdout.write(f"admin login: {ADMIN_USERNAME} / {ADMIN_PASSWORD}")
