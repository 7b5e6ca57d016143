"""The field types of gargoyle._authoring.fields: cleaning, validation, display, rendering and matching."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from gargoyle.builtins import IPAddress
from gargoyle.cohorts import BUCKETS, stable_bucket
from gargoyle.conditions import (
    AbstractDate,
    BeforeDate,
    Boolean,
    Choice,
    Field,
    OnOrAfterDate,
    Percent,
    Range,
    String,
)

PKS = range(1, 10_001)
XSS = '"><script>alert(1)</script>'


def named(field, name):
    """A field as a condition set declares it: ``name = Field()``."""
    field.set_values(name)
    return field


def error_of(call, *args):
    with pytest.raises(ValidationError) as info:
        call(*args)
    return " ".join(info.value.messages)


def selected(field, condition, key="switch", subjects=PKS):
    matches = field.matcher([condition], key)
    return {subject for subject in subjects if matches(subject)}


class TestField:
    def test_label_comes_from_the_declared_name(self):
        assert named(Field(), "date_joined").label == "Date Joined"
        assert named(Field(label="Joined"), "date_joined").label == "Joined"

    def test_clean_keeps_strings(self):
        assert Field().clean("anything") == "anything"

    def test_clean_refuses_non_strings_naming_the_field(self):
        field = named(Field(label="Team"), "team")
        assert "Team" in error_of(field.clean, 5)

    def test_validate_reads_the_posted_field(self):
        assert named(Field(), "team").validate({"team": "red"}) == "red"

    @pytest.mark.parametrize("data", [{}, {"team": ""}, {"other": "red"}])
    def test_validate_refuses_a_missing_value_naming_the_field(self, data):
        assert "Team" in error_of(named(Field(), "team").validate, data)

    def test_display_shows_the_condition(self):
        assert Field().display("red") == "red"

    def test_render_escapes_the_value(self):
        html = named(Field(), "team").render(XSS)
        assert 'name="team"' in html
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert "&quot;&gt;" in html

    def test_matcher_asks_is_active_for_each_condition(self):
        matches = Field().matcher(["red", "blue"], "switch")
        assert matches("red")
        assert matches("blue")
        assert not matches("green")
        assert not Field().matcher([], "switch")("red")


class TestBoolean:
    @pytest.mark.parametrize("text", ["1", "true", "True", "yes", " on "])
    def test_clean_truthy(self, text):
        assert Boolean().clean(text) == "1"

    @pytest.mark.parametrize("text", ["0", "false", "FALSE", "no", "off"])
    def test_clean_falsy(self, text):
        assert Boolean().clean(text) == "0"

    @pytest.mark.parametrize("text", ["", "  "])
    def test_clean_takes_empty_text_as_true_as_gargoyle_yplan_did(self, text):
        assert Boolean().clean(text) == "1"

    def test_a_stored_empty_condition_matches_true_values(self):
        matches = Boolean().matcher([""], "switch")
        assert matches(True)
        assert not matches(False)
        assert Boolean().is_active("", True)
        assert named(Boolean(label="Staff"), "is_staff").display("") == "Staff"

    @pytest.mark.parametrize("text", ["maybe", "2", "yes please"])
    def test_clean_refuses_other_text_naming_the_field(self, text):
        field = named(Boolean(label="Staff"), "is_staff")
        assert "Staff" in error_of(field.clean, text)

    def test_validate_without_a_value_means_true(self):
        field = named(Boolean(), "is_staff")
        assert field.validate({}) == "1"
        assert field.validate({"is_staff": ""}) == "1"
        assert field.validate({"is_staff": "0"}) == "0"

    def test_display(self):
        field = named(Boolean(label="Staff"), "is_staff")
        assert field.display("1") == "Staff"
        assert field.display("0") == "Not Staff"

    def test_render_is_a_hidden_true(self):
        field = named(Boolean(), "is_staff")
        assert str(field.render(None)) == '<input type="hidden" value="1" name="is_staff">'

    def test_true_condition_matches_truthy_values_only(self):
        matches = Boolean().matcher(["1"], "switch")
        assert matches(True)
        assert matches(1)
        assert not matches(False)
        assert not matches(None)

    def test_false_condition_matches_falsy_values_only(self):
        matches = Boolean().matcher(["0"], "switch")
        assert matches(False)
        assert matches(None)
        assert not matches(True)

    def test_is_active_honours_the_stored_value(self):
        assert Boolean().is_active("1", True)
        assert not Boolean().is_active("1", False)
        assert Boolean().is_active("0", False)
        assert not Boolean().is_active("0", True)


class TestChoice:
    def field(self):
        return named(Choice([("free", "Free"), ("pro", "Pro")], label="Plan"), "plan")

    def test_clean_accepts_a_choice(self):
        assert self.field().clean("pro") == "pro"
        assert named(Choice(["a", "b"]), "letter").clean("b") == "b"

    def test_clean_refuses_other_values_naming_field_and_value(self):
        message = error_of(self.field().clean, "gold")
        assert "Plan" in message
        assert "gold" in message

    def test_matches_the_stored_choice_only(self):
        matches = self.field().matcher(["pro"], "switch")
        assert matches("pro")
        assert not matches("free")
        assert not matches(None)

    def test_unhashable_value_matches_nothing(self):
        assert not self.field().matcher(["pro"], "switch")(["pro"])


class TestString:
    def test_clean_strips(self):
        assert String().clean("  bob ") == "bob"

    @pytest.mark.parametrize("value", ["", "   "])
    def test_clean_keeps_empty_text_meaning_an_empty_attribute(self, value):
        assert String().clean(value) == ""
        matches = String().matcher([""], "switch")
        assert matches("")
        assert not matches(None)

    @pytest.mark.parametrize("data", [{}, {"email": ""}, {"email": "   "}])
    def test_validate_asks_for_a_value(self, data):
        field = named(String(), "email")
        assert "Email: enter a value" in error_of(field.validate, data)

    @pytest.mark.parametrize("value", [None, 42])
    def test_clean_refuses_non_text_naming_the_field(self, value):
        field = named(String(), "username")
        assert "Username" in error_of(field.clean, value)

    def test_matches_exactly(self):
        matches = String().matcher(["bob", "alice"], "switch")
        assert matches("bob")
        assert matches("alice")
        assert not matches("Bob")
        assert not matches("bobby")
        assert not matches(None)
        assert not matches({"bob": 1})

    def test_render_escapes_the_value(self):
        html = named(String(), "username").render(XSS)
        assert "<script>" not in html
        assert "&lt;script&gt;" in html

    def test_display(self):
        assert String().display("bob") == "bob"


class TestRange:
    def field(self):
        return named(Range(), "age")

    @pytest.mark.parametrize(("text", "clean"), [("10-20", "10-20"), (" 10 - 20 ", "10-20"), ("5-5", "5-5")])
    def test_clean(self, text, clean):
        assert self.field().clean(text) == clean

    @pytest.mark.parametrize(
        "text",
        ["20-10", "a-b", "10", "1-2-3", "1.5-3", "", None, 10, "\u0661\u0660-\u0662\u0660", "1_0-20", "1e1-20", "+1-2"],
    )
    def test_clean_refuses_bad_ranges_naming_the_field(self, text):
        assert "Age" in error_of(self.field().clean, text)

    def test_validate_reads_min_and_max(self):
        assert self.field().validate({"age[min]": "18", "age[max]": "65"}) == "18-65"

    @pytest.mark.parametrize("data", [{}, {"age[min]": "18"}, {"age[min]": "65", "age[max]": "18"}])
    def test_validate_refuses_incomplete_or_reversed(self, data):
        assert "Age" in error_of(self.field().validate, data)

    def test_display(self):
        assert self.field().display("10-20") == "Age: 10-20"

    def test_render_has_a_min_and_a_max_input(self):
        html = self.field().render("10-20")
        assert 'value="10" placeholder="from" name="age[min]"' in html
        assert 'value="20" placeholder="to" name="age[max]"' in html
        assert 'value="" placeholder="from"' in self.field().render(None)

    def test_matches_both_ends_inclusive(self):
        matches = self.field().matcher(["10-20", "30-40"], "switch")
        assert [n for n in (9, 10, 15, 20, 21, 30, 40, 41) if matches(n)] == [10, 15, 20, 30, 40]
        assert matches(15.5)

    @pytest.mark.parametrize("value", [None, "15", True])
    def test_non_numbers_never_match(self, value):
        assert not named(Range(), "flag").matcher(["0-20"], "switch")(value)


class TestPercentCleaning:
    def field(self):
        return named(Percent(), "percent")

    @pytest.mark.parametrize(
        ("text", "clean"),
        [("0-50", "0-50"), ("12.5-25", "12.5-25"), ("12.50-25.00", "12.5-25"), ("0.01-0.02", "0.01-0.02")],
    )
    def test_clean(self, text, clean):
        assert self.field().clean(text) == clean

    @pytest.mark.parametrize(
        "text",
        [
            "12.345-20",
            "0-101",
            "50-0",
            "-1-5",
            "nan-5",
            "0-inf",
            "a-b",
            "50",
            "0-\u0665\u0660",
            "0-5_0",
            "0-5e1",
            ".-1",
        ],
    )
    def test_clean_refuses_naming_the_field(self, text):
        assert "Percent" in error_of(self.field().clean, text)

    def test_validate_reads_min_and_max(self):
        assert self.field().validate({"percent[min]": "0", "percent[max]": "12.5"}) == "0-12.5"

    def test_display_shows_the_share(self):
        assert self.field().display("0-50") == "Percent: 50% (0-50)"
        assert self.field().display("10-22.5") == "Percent: 12.5% (10-22.5)"


class TestPercentBuckets:
    def test_stable_bucket_is_deterministic(self):
        # Pinned: changing the hash would move every site's cohorts on upgrade.
        assert stable_bucket("new_checkout", 1) == 320
        assert stable_bucket("new_checkout", 42) == 7710
        assert stable_bucket("new_checkout", "10.0.0.1") == 9248
        assert stable_bucket("other", 1) == 7190

    def test_buckets_cover_hundredths_of_a_percent(self):
        assert BUCKETS == 10_000
        buckets = {stable_bucket("switch", pk) for pk in PKS}
        assert min(buckets) >= 0
        assert max(buckets) <= 9_999

    def test_half_is_half_of_the_buckets(self):
        half = selected(Percent(), "0-50")
        assert half == {pk for pk in PKS if stable_bucket("switch", pk) < 5_000}
        assert 4_700 < len(half) < 5_300

    def test_ranges_are_half_open(self):
        lower, upper = selected(Percent(), "0-50"), selected(Percent(), "50-100")
        assert not lower & upper
        assert lower | upper == set(PKS)

    def test_lower_end_included_upper_end_excluded(self):
        on_boundary = {0: 3922, 1250: 3466, 5000: 9799, 9999: 6574}  # bucket -> pk, for key "switch"
        assert {bucket: stable_bucket("switch", pk) for bucket, pk in on_boundary.items()} == {
            b: b for b in on_boundary
        }

        def matches(condition, bucket):
            return Percent().matcher([condition], "switch")(on_boundary[bucket])

        assert not matches("0-0", 0)
        assert matches("0-0.01", 0)
        assert matches("12.5-25", 1250)
        assert not matches("0-12.5", 1250)
        assert not matches("0-50", 5000)
        assert matches("50-100", 5000)
        assert matches("99.99-100", 9999)

    def test_nobody_and_everyone(self):
        assert selected(Percent(), "0-0") == set()
        assert selected(Percent(), "0-100") == set(PKS)

    def test_two_decimals_select_hundredths(self):
        chosen = selected(Percent(), "12.5-25")
        assert chosen == {pk for pk in PKS if 1_250 <= stable_bucket("switch", pk) < 2_500}

    def test_widening_only_adds_subjects(self):
        narrow, wider, widest = (selected(Percent(), r) for r in ("0-10", "0-20", "0-50"))
        assert narrow < wider < widest

    def test_each_switch_draws_its_own_cohort(self):
        first = selected(Percent(), "0-50", key="first_switch")
        second = selected(Percent(), "0-50", key="second_switch")
        assert first != second
        assert 2_250 < len(first & second) < 2_750

    def test_any_of_several_ranges(self):
        both = selected(Percent(), "0-10") | selected(Percent(), "90-100")
        matches = Percent().matcher(["0-10", "90-100"], "switch")
        assert {pk for pk in PKS if matches(pk)} == both

    def test_ip_addresses_are_bucketed_too(self):
        matches = Percent().matcher(["90-100"], "new_checkout")
        assert matches("10.0.0.1")  # bucket 9248

    def test_no_subject_never_matches(self):
        assert not Percent().matcher(["0-100"], "switch")(None)

    def test_is_active_compares_a_bucket_percent(self):
        assert Percent().is_active("0-50", 49.99)
        assert not Percent().is_active("0-50", 50)


class TestLegacyPercent:
    @pytest.fixture(autouse=True)
    def legacy_percent(self):
        with override_settings(GARGOYLE_LEGACY_PERCENT=True):
            yield

    def test_pk_modulo_100_with_inclusive_ends(self):
        matches = Percent().matcher(["0-50"], "switch")
        assert [pk for pk in (0, 1, 50, 51, 99, 100, 150, 151) if matches(pk)] == [0, 1, 50, 100, 150]

    def test_zero_to_zero_is_every_hundredth(self):
        assert selected(Percent(), "0-0", subjects=range(1, 301)) == {100, 200, 300}

    def test_same_cohort_for_every_switch(self):
        assert selected(Percent(), "0-30", key="a") == selected(Percent(), "0-30", key="b")

    def test_ipv4_octet_sum(self):
        matches = Percent().matcher(["10-10"], "switch")
        assert matches("1.2.3.4")  # 1+2+3+4
        assert not matches("1.2.3.5")
        assert Percent().matcher(["0-10"], "switch")("100.100.0.10")  # 210 % 100

    @pytest.mark.parametrize("subject", [None, "not an ip", 1.5])
    def test_other_subjects_never_match(self, subject):
        assert not Percent().matcher(["0-100"], "switch")(subject)


class TestDates:
    def test_clean_normalises(self):
        assert BeforeDate().clean(" 2024-1-5 ") == "2024-01-05"
        assert OnOrAfterDate().clean("2024-02-29") == "2024-02-29"

    @pytest.mark.parametrize(
        "text", ["2023-02-29", "05/01/2024", "tomorrow", "", 20240105, "\u0662\u0660\u0662\u0664-01-01"]
    )
    def test_clean_refuses_naming_the_field(self, text):
        field = named(OnOrAfterDate(label="Joined on or after"), "date_joined")
        assert "Joined on or after" in error_of(field.clean, text)

    def test_display(self):
        field = named(BeforeDate(label="Before"), "today_is_before")
        assert field.display("2024-01-05") == "Before: 05 Jan 2024"

    def test_render(self):
        field = named(BeforeDate(), "today_is_before")
        assert 'type="date" value="2024-01-05" name="today_is_before"' in field.render("2024-01-05")
        assert f'value="{datetime.date.today():%Y-%m-%d}"' in field.render(None)

    def test_before_date(self):
        matches = BeforeDate().matcher(["2024-06-01"], "switch")
        assert matches(datetime.date(2024, 5, 31))
        assert matches(datetime.datetime(2024, 5, 31, 23, 59))
        assert not matches(datetime.date(2024, 6, 1))
        assert not matches(datetime.datetime(2024, 6, 1, 0, 0))

    def test_on_or_after_date(self):
        matches = OnOrAfterDate().matcher(["2024-06-01"], "switch")
        assert matches(datetime.date(2024, 6, 1))
        assert matches(datetime.datetime(2024, 6, 1, 0, 0, tzinfo=datetime.timezone.utc))
        assert not matches(datetime.date(2024, 5, 31))

    def test_several_dates_are_any_of(self):
        day = datetime.date(2024, 3, 1)
        assert BeforeDate().matcher(["2024-01-01", "2024-06-01"], "switch")(day)
        assert OnOrAfterDate().matcher(["2024-06-01", "2024-01-01"], "switch")(day)

    @pytest.mark.parametrize("field", [BeforeDate(), OnOrAfterDate()])
    @pytest.mark.parametrize("value", [None, "2024-06-01", 20240601])
    def test_non_dates_never_match(self, field, value):
        assert not field.matcher(["2000-01-01", "2100-01-01"], "switch")(value)
        assert not field.is_active("2000-01-01", value)

    def test_a_custom_date_field_needs_only_date_is_active(self):
        class SameDay(AbstractDate):
            def date_is_active(self, condition_date, value):
                return value == condition_date

        matches = SameDay().matcher(["2024-06-01"], "switch")
        assert matches(datetime.datetime(2024, 6, 1, 12, 0))
        assert not matches(datetime.date(2024, 6, 2))


class TestIPAddress:
    def field(self):
        return named(IPAddress(label="IP Address"), "ip_address")

    @pytest.mark.parametrize(
        ("text", "clean"),
        [
            ("10.0.0.1", "10.0.0.1"),
            (" 10.0.0.0/8 ", "10.0.0.0/8"),
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("2001:DB8:0::1", "2001:db8::1"),
            ("2001:db8::/32", "2001:db8::/32"),
        ],
    )
    def test_clean_accepts_addresses_and_networks(self, text, clean):
        assert self.field().clean(text) == clean

    @pytest.mark.parametrize("text", ["not-an-ip", "300.1.1.1", "10.0.0.0/33", "10.0.0", "::g"])
    def test_clean_refuses_garbage_naming_field_and_value(self, text):
        message = error_of(self.field().clean, text)
        assert "IP Address" in message
        assert text in message

    def test_matches_addresses(self):
        matches = self.field().matcher(["10.0.0.1", "2001:db8::1"], "switch")
        assert matches("10.0.0.1")
        assert matches("2001:db8::1")
        assert matches("2001:DB8:0:0::1")
        assert not matches("10.0.0.2")

    def test_matches_networks(self):
        matches = self.field().matcher(["10.0.0.0/8", "2001:db8::/32"], "switch")
        assert matches("10.255.0.1")
        assert matches("2001:db8:ffff::1")
        assert not matches("11.0.0.1")
        assert not matches("2001:db9::1")

    @pytest.mark.parametrize("value", [None, "", "garbage", "::ffff:zz", 167772161])
    def test_non_addresses_never_match(self, value):
        assert not self.field().matcher(["10.0.0.0/8", "::/0"], "switch")(value)

    def test_is_active(self):
        assert self.field().is_active("10.0.0.0/8", "10.1.1.1")
        assert not self.field().is_active("10.0.0.0/8", "192.168.0.1")


SUBCLASSABLE = [
    (Boolean, {}, "1"),
    (Choice, {"choices": ["pro", "free"]}, "pro"),
    (String, {}, "bob"),
    (Range, {}, "1-5"),
    (Percent, {}, "0-50"),
    (IPAddress, {}, "10.0.0.0/8"),
    (BeforeDate, {}, "2024-01-01"),
    (OnOrAfterDate, {}, "2024-01-01"),
]


@pytest.mark.parametrize(("base", "kwargs", "condition"), SUBCLASSABLE)
def test_a_subclass_overriding_is_active_is_asked_through_it(base, kwargs, condition):
    calls = []

    class Custom(base):
        def is_active(self, condition, value):
            calls.append((condition, value))
            return value == "secret"

    matches = Custom(**kwargs).matcher([condition], "switch")
    assert matches("secret")
    assert not matches("other")
    assert calls == [(condition, "secret"), (condition, "other")]
