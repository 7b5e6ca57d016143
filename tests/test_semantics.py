"""What ``is_active`` answers: docs/architecture.rst, "Evaluation" (and docs/concepts.rst), rule by rule."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory, override_settings

from gargoyle import gargoyle
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, INHERIT, SELECTIVE
from gargoyle.models import Switch

pytestmark = pytest.mark.django_db

USER = "auth.user"


def switch(key, status=SELECTIVE, **conditions):
    """Store a switch; ``conditions`` maps "namespace__field" to [(mode, condition), ...]."""
    value = {}
    for name, entries in conditions.items():
        namespace, field = name.split("__")
        namespace = {"user": USER}.get(namespace, namespace)
        value.setdefault(namespace, {})[field] = [list(entry) for entry in entries]
    return Switch.objects.create(key=key, status=status, value=value)


def request_from(ip="10.0.0.1", user=None):
    request = RequestFactory().get("/", REMOTE_ADDR=ip)
    request.user = user or AnonymousUser()
    return request


@pytest.fixture
def alice():
    return User.objects.create(username="alice", is_staff=True)


@pytest.fixture
def bob():
    return User.objects.create(username="bob")


class TestStatuses:
    def test_global_is_on_for_everyone(self, bob):
        switch("feature", GLOBAL)
        assert gargoyle.is_active("feature")
        assert gargoyle.is_active("feature", bob)

    def test_disabled_is_off_even_with_matching_conditions(self, bob):
        switch("feature", DISABLED, user__username=[(INCLUDE, "bob")])
        assert not gargoyle.is_active("feature", bob)
        assert not gargoyle.is_active("feature", default=True)

    def test_selective_without_conditions_is_off(self, bob):
        switch("feature", SELECTIVE)
        assert not gargoyle.is_active("feature", bob)
        assert not gargoyle.is_active("feature", bob, default=True)

    def test_inherit_at_top_level_answers_the_default(self):
        switch("feature", INHERIT)
        assert gargoyle.is_active("feature", default=True)
        assert not gargoyle.is_active("feature", default=False)


class TestInheritance:
    def test_disabled_parent_turns_children_off(self):
        switch("parent", DISABLED)
        switch("parent:child", GLOBAL)
        assert not gargoyle.is_active("parent:child")

    def test_global_parent_makes_the_child_default_on(self):
        switch("parent", GLOBAL)
        switch("parent:child", INHERIT)
        assert gargoyle.is_active("parent:child")
        assert gargoyle.is_active("parent:unknown")

    def test_selective_parent_decides_per_subject(self, alice, bob):
        switch("parent", SELECTIVE, user__username=[(INCLUDE, "alice")])
        switch("parent:child", INHERIT)
        assert gargoyle.is_active("parent:child", alice)
        assert not gargoyle.is_active("parent:child", bob)

    def test_child_conditions_still_apply_under_an_on_parent(self, alice, bob):
        switch("parent", GLOBAL)
        switch("parent:child", SELECTIVE, user__username=[(INCLUDE, "bob")])
        assert gargoyle.is_active("parent:child", bob)
        assert not gargoyle.is_active("parent:child", alice)

    def test_missing_middle_level_is_skipped(self):
        switch("a", DISABLED)
        switch("a:b:c", GLOBAL)
        assert not gargoyle.is_active("a:b:c")

    def test_unknown_parent_leaves_the_default(self):
        switch("orphan:child", INHERIT)
        assert gargoyle.is_active("orphan:child", default=True)
        assert not gargoyle.is_active("orphan:child")


class TestIncludeExclude:
    def test_include_lets_only_matching_subjects_in(self, alice, bob):
        switch("feature", user__username=[(INCLUDE, "alice")])
        assert gargoyle.is_active("feature", alice)
        assert not gargoyle.is_active("feature", bob)
        assert not gargoyle.is_active("feature")

    def test_exclude_only_lets_everyone_else_in(self, alice, bob):
        switch("feature", user__username=[(EXCLUDE, "alice")])
        assert not gargoyle.is_active("feature", alice)
        assert gargoyle.is_active("feature", bob)

    def test_exclude_wins_over_include_across_condition_sets(self, alice):
        switch("feature", user__username=[(INCLUDE, "alice")], ip__ip_address=[(EXCLUDE, "10.0.0.9")])
        assert gargoyle.is_active("feature", request_from("10.0.0.1", alice))
        assert not gargoyle.is_active("feature", request_from("10.0.0.9", alice))

    def test_includes_in_one_set_are_not_bypassed_by_excludes_in_another(self, alice, bob):
        # The original let everyone not excluded through, although include conditions existed.
        switch("feature", user__username=[(INCLUDE, "alice")], ip__ip_address=[(EXCLUDE, "10.0.0.9")])
        assert not gargoyle.is_active("feature", request_from("10.0.0.1", bob))

    def test_any_include_matching_is_enough(self, alice, bob):
        switch("feature", user__username=[(INCLUDE, "alice")], ip__ip_address=[(INCLUDE, "10.0.0.5")])
        assert gargoyle.is_active("feature", request_from("10.0.0.5", bob))
        assert gargoyle.is_active("feature", request_from("10.0.0.1", alice))
        assert not gargoyle.is_active("feature", request_from("10.0.0.1", bob))

    def test_excluded_anonymous_users_stay_out(self, bob):
        # The original let anonymous users in when "Anonymous" was excluded.
        switch("feature", user__is_anonymous=[(EXCLUDE, "1")])
        assert not gargoyle.is_active("feature", AnonymousUser())
        assert not gargoyle.is_active("feature", request_from())
        assert gargoyle.is_active("feature", bob)

    def test_included_anonymous_users_only(self, bob):
        switch("feature", user__is_anonymous=[(INCLUDE, "1")])
        assert gargoyle.is_active("feature", AnonymousUser())
        assert not gargoyle.is_active("feature", bob)

    def test_request_counts_as_its_user(self, alice):
        switch("feature", user__username=[(INCLUDE, "alice")])
        assert gargoyle.is_active("feature", request_from(user=alice))


class TestFieldValues:
    def test_boolean_honours_the_stored_value(self, alice, bob):
        switch("staff-only", user__is_staff=[(INCLUDE, "1")])
        switch("non-staff", user__is_staff=[(INCLUDE, "0")])
        assert gargoyle.is_active("staff-only", alice)
        assert not gargoyle.is_active("staff-only", bob)
        assert gargoyle.is_active("non-staff", bob)
        assert not gargoyle.is_active("non-staff", alice)

    def test_ip_networks_and_internal_ips(self):
        switch("office", ip__ip_address=[(INCLUDE, "192.168.0.0/16")])
        switch("internal", ip__internal_ip=[(INCLUDE, "1")])
        assert gargoyle.is_active("office", request_from("192.168.4.20"))
        assert not gargoyle.is_active("office", request_from("10.1.1.1"))
        with override_settings(INTERNAL_IPS=["127.0.0.1"]):
            assert gargoyle.is_active("internal", request_from("127.0.0.1"))
            assert not gargoyle.is_active("internal", request_from("10.0.0.1"))

    def test_dates(self):
        switch("launched", now_utc__today_is_on_or_after=[(INCLUDE, "2000-01-01")])
        switch("future", now_utc__today_is_on_or_after=[(INCLUDE, "2999-01-01")])
        switch("sunset", now_app_tz__today_is_before=[(INCLUDE, "2000-01-01")])
        assert gargoyle.is_active("launched")
        assert not gargoyle.is_active("future")
        assert not gargoyle.is_active("sunset")

    def test_hostname(self):
        import socket

        switch("here", host__hostname=[(INCLUDE, socket.gethostname())])
        switch("elsewhere", host__hostname=[(INCLUDE, "not-this-host.invalid")])
        assert gargoyle.is_active("here")
        assert not gargoyle.is_active("elsewhere")


class TestPercent:
    def share(self, key, users):
        return sum(gargoyle.is_active(key, user) for user in users) / len(users)

    @pytest.fixture
    def users(self):
        User.objects.bulk_create(User(username=f"user{i}") for i in range(2000))
        return list(User.objects.all())

    def test_ranges_are_half_open(self, users):
        switch("half", user__percent=[(INCLUDE, "0-50")])
        switch("nobody", user__percent=[(INCLUDE, "0-0")])
        switch("everyone", user__percent=[(INCLUDE, "0-100")])
        assert 0.45 < self.share("half", users) < 0.55
        assert self.share("nobody", users) == 0
        assert self.share("everyone", users) == 1

    def test_adjacent_ranges_split_everyone_exactly_once(self, users):
        rollout = switch("rollout", user__percent=[(INCLUDE, "0-12.5")])
        low = {user.pk for user in users if gargoyle.is_active("rollout", user)}
        rollout.value = {USER: {"percent": [[INCLUDE, "12.5-100"]]}}
        rollout.save()
        high = {user.pk for user in users if gargoyle.is_active("rollout", user)}
        assert not low & high
        assert low | high == {user.pk for user in users}
        assert 0.09 < len(low) / len(users) < 0.16

    def test_widening_only_adds_subjects(self, users):
        narrow = switch("rollout", user__percent=[(INCLUDE, "0-10")])
        before = {user.pk for user in users if gargoyle.is_active("rollout", user)}
        narrow.value = {USER: {"percent": [[INCLUDE, "0-25"]]}}
        narrow.save()
        after = {user.pk for user in users if gargoyle.is_active("rollout", user)}
        assert before < after

    def test_each_switch_has_its_own_cohort(self, users):
        switch("first", user__percent=[(INCLUDE, "0-50")])
        switch("second", user__percent=[(INCLUDE, "0-50")])
        both = sum(gargoyle.is_active("first", u) and gargoyle.is_active("second", u) for u in users) / len(users)
        assert 0.2 < both < 0.3  # independent halves overlap by a quarter, not by a half

    def test_ip_percent(self):
        switch("by-ip", ip__percent=[(INCLUDE, "0-50")])
        ips = [f"10.0.{i // 256}.{i % 256}" for i in range(2000)]
        share = sum(gargoyle.is_active("by-ip", request_from(ip)) for ip in ips) / len(ips)
        assert 0.45 < share < 0.55

    def test_anonymous_users_have_no_bucket(self):
        switch("everyone", user__percent=[(INCLUDE, "0-100")])
        assert not gargoyle.is_active("everyone", AnonymousUser())

    @override_settings(GARGOYLE_LEGACY_PERCENT=True)
    def test_legacy_arithmetic(self, users):
        switch("legacy", user__percent=[(INCLUDE, "0-9")])
        active = {user.pk for user in users if gargoyle.is_active("legacy", user)}
        assert active == {user.pk for user in users if user.pk % 100 <= 9}


class TestUnknownKeys:
    def test_unknown_key_answers_the_default(self):
        assert not gargoyle.is_active("never-seen")
        assert gargoyle.is_active("never-seen-either", default=True)

    def test_auto_create_records_the_key_once(self, django_assert_max_num_queries):
        gargoyle.is_active("recorded")
        stored = Switch.objects.get(key="recorded")
        assert stored.status == DISABLED
        gargoyle.is_active("recorded")
        with django_assert_max_num_queries(0):
            for _ in range(20):
                gargoyle.is_active("recorded")
        assert Switch.objects.filter(key="recorded").count() == 1

    @override_settings(GARGOYLE_AUTO_CREATE=False)
    def test_auto_create_off_writes_nothing(self):
        assert not gargoyle.is_active("not-recorded")
        assert not Switch.objects.filter(key="not-recorded").exists()

    @override_settings(
        GARGOYLE_SWITCH_DEFAULTS={
            "on-by-default": {"is_active": True, "label": "On by default"},
            "selective-by-default": {"initial_status": SELECTIVE},
        }
    )
    def test_switch_defaults_answer_before_and_after_recording(self):
        assert gargoyle.is_active("on-by-default")
        assert gargoyle.is_active("on-by-default")
        stored = Switch.objects.get(key="on-by-default")
        assert (stored.status, stored.label) == (GLOBAL, "On by default")
        assert not gargoyle.is_active("selective-by-default")
        assert Switch.objects.get(key="selective-by-default").status == SELECTIVE

    def test_key_too_long_is_not_recorded(self):
        assert not gargoyle.is_active("x" * 65)
        assert not Switch.objects.filter(key="x" * 65).exists()
