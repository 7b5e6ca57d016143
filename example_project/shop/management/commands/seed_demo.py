"""``manage.py seed_demo``: the demo switches, users and products. Safe to run again.

What already exists is left as it is, so switches you changed in the panel keep your changes.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from gargoyle import gargoyle, rollouts
from gargoyle.history import SwitchChange
from gargoyle.models import Switch, SwitchUsage
from shop.demo_data import (
    DEMO_AGES,
    DEMO_PRODUCTS,
    DEMO_SHOPPERS,
    DEMO_SWITCHES,
    DEMO_USAGE,
    DEMO_USERS,
    QUICK_VIEW_ROLLOUT,
    REQUIRED,
    SHOPPER_PASSWORD,
    USAGE_DAYS,
)
from shop.models import Customer, Product


class Command(BaseCommand):
    help = "Creates the demo switches, users (password = username) and products; existing ones are left alone."

    @transaction.atomic
    def handle(self, *args, **options):
        self.created = 0
        self.new_switches = []
        self.stdout.write("Switches:")
        for demo in DEMO_SWITCHES:
            self._switch(demo)
        self._age_new_switches()
        self._rollout()
        self._groups()
        self.stdout.write("Users:")
        for demo in DEMO_USERS:
            self._user(demo)
        self._shoppers()
        self._products()
        self._usage()
        if self.created:
            self.stdout.write(f"Created {self.created} demo objects.")
        else:
            self.stdout.write("Nothing changed: the demo data was already there.")
        self.stdout.write("Logins (password = username):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.username} / {demo.username}: {demo.about}")
        self.stdout.write(
            f"  {DEMO_SHOPPERS[0]} ... {DEMO_SHOPPERS[-1]} / {SHOPPER_PASSWORD}: plain shoppers, for percent rollouts"
        )

    def _report(self, name, created, detail=""):
        self.created += created
        self.stdout.write(f"  {name:<24} {'created' if created else 'already there':<14} {detail}".rstrip())

    def _switch(self, demo):
        switch = Switch.objects.filter(key=demo.key).first()
        created = switch is None
        if created:
            switch = Switch(key=demo.key, status=demo.status, label=demo.label, description=demo.description)
            for condition_set, field_name, condition, *mode in demo.conditions:
                required = mode == [REQUIRED]
                switch.add_condition(gargoyle, condition_set, field_name, condition, required=required, commit=False)
            switch.save(force_insert=True)  # one write, so one entry in the switch's history
            self.new_switches.append(demo.key)
        self._report(demo.key, created, switch.get_status_display())

    def _user(self, demo):
        User = get_user_model()
        user = User.objects.filter(username=demo.username).first()
        created = user is None
        if created:
            user = User.objects.create_user(
                demo.username,
                f"{demo.username}@example.com",
                password=demo.username,
                is_staff=demo.is_staff,
                is_superuser=demo.is_superuser,
            )
            user.user_permissions.add(*(_permission(name) for name in demo.permissions))
            user.groups.add(*Group.objects.filter(name__in=demo.groups))
        if demo.plan:
            _, profile_created = Customer.objects.get_or_create(
                user=user, defaults={"plan": demo.plan, "country": demo.country}
            )
            self.created += profile_created
        self._report(demo.username, created)

    def _groups(self):
        """The groups the demo users are in (a group condition names them; see wishlist)."""
        names = sorted({name for demo in DEMO_USERS for name in demo.groups})
        created = sum(Group.objects.get_or_create(name=name)[1] for name in names)
        self.created += created
        self.stdout.write(f"Groups: {created} created, {len(names) - created} already there.")

    def _shoppers(self):
        """The plain shoppers, in one query; one password hash shared by all (hashing is slow)."""
        User = get_user_model()
        existing = set(User.objects.filter(username__in=DEMO_SHOPPERS).values_list("username", flat=True))
        missing = [name for name in DEMO_SHOPPERS if name not in existing]
        if missing:
            password = make_password(SHOPPER_PASSWORD)
            User.objects.bulk_create(
                User(username=name, email=f"{name}@example.com", password=password) for name in missing
            )
        self.created += len(missing)
        self.stdout.write(f"Shoppers: {len(missing)} created, {len(existing)} already there.")

    def _products(self):
        created = 0
        for name, slug, price, description in DEMO_PRODUCTS:
            _, product_created = Product.objects.get_or_create(
                slug=slug, defaults={"name": name, "price": price, "description": description}
            )
            created += product_created
        self.created += created
        self.stdout.write(f"Products: {created} created, {len(DEMO_PRODUCTS) - created} already there.")

    def _rollout(self):
        """Start quick_view's guarded rollout, when the switch was just created."""
        if "quick_view" in self.new_switches:
            rollouts.start("quick_view", **QUICK_VIEW_ROLLOUT)
            self.stdout.write("  quick_view: guarded rollout started (watch it with manage.py simulate_traffic)")

    def _age_new_switches(self):
        """Date the switches just created as DEMO_AGES says (plain SQL: scenery, not a change)."""
        if not self.new_switches:
            return
        now = timezone.now()
        table, key_column = (connection.ops.quote_name(name) for name in (Switch._meta.db_table, "key"))
        with connection.cursor() as cursor:
            for key in self.new_switches:
                created, modified = DEMO_AGES.get(key, (0, 0))
                cursor.execute(
                    f"UPDATE {table} SET date_created = %s, date_modified = %s WHERE {key_column} = %s",
                    [now - datetime.timedelta(days=created), now - datetime.timedelta(days=modified), key],
                )
        for change in SwitchChange.objects.filter(switch_key__in=self.new_switches, before__isnull=True):
            created, _ = DEMO_AGES.get(change.switch_key, (0, 0))
            SwitchChange.objects.filter(pk=change.pk).update(date=now - datetime.timedelta(days=created))

    def _usage(self):
        """Two weeks of checks: hourly rows for the last 7 days, daily ones before (as stored)."""
        if SwitchUsage.objects.exists():
            self.stdout.write("Usage counts: already there.")
            return
        now = timezone.now()
        hour = now.replace(minute=0, second=0, microsecond=0)
        rows = []
        for key, (busiest, share_on) in DEMO_USAGE.items():
            days = min(USAGE_DAYS, DEMO_AGES.get(key, (USAGE_DAYS, 0))[0])  # since the switch exists
            for back in range(min(days, 7) * 24):
                start = hour - datetime.timedelta(hours=back)
                rows.append(_usage_row(key, "h", start, _checks(busiest, start), share_on, min(now, start)))
            for back in range(7, days):
                day = (hour - datetime.timedelta(days=back)).replace(hour=0)
                checks = sum(_checks(busiest, day.replace(hour=h)) for h in range(24))
                rows.append(_usage_row(key, "d", day, checks, share_on, day + datetime.timedelta(hours=23)))
        SwitchUsage.objects.bulk_create(rows)
        self.stdout.write(f"Usage counts: {len(rows)} rows over up to {USAGE_DAYS} days.")


def _checks(busiest, moment):
    """A day's shape: quiet at night, busiest mid-afternoon, quieter at weekends."""
    daytime = 1 - abs(moment.hour - 15) / 15
    weekend = 0.7 if moment.weekday() >= 5 else 1.0
    return round(busiest * (0.15 + 0.85 * daytime) * weekend)


def _usage_row(key, period, start, checks, share_on, last_checked):
    on = round(checks * share_on)
    return SwitchUsage(
        switch_key=key, period=period, start=start, on=on, off=checks - on, processes=2, last_checked=last_checked
    )


def _permission(name):
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)
