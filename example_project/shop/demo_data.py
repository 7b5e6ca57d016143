"""What ``seed_demo`` creates: the demo switches, users and products.

The footer of every page (``context_processors.py``) and the login page list them too.
"""

from decimal import Decimal
from typing import NamedTuple

from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE

USERS = "gargoyle.builtins.UserConditionSet(auth.user)"
CUSTOMERS = "shop.gargoyle.CustomerProfileConditionSet"
VISITORS = "gargoyle.builtins.VisitorConditionSet"

#: The group of customers who try features first (a group condition targets it by name).
BETA_TESTERS = "Beta testers"


# The fourth item of a condition that must match (a required condition), beside the others.
REQUIRED = "required"


class DemoSwitch(NamedTuple):
    key: str
    status: int
    label: str
    description: str
    conditions: tuple = ()  # (condition set id, field name, condition[, REQUIRED])


class DemoUser(NamedTuple):
    username: str  # also the password
    about: str
    plan: str | None = None  # None: no customer profile
    country: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    permissions: tuple = ()  # "app_label.codename"
    groups: tuple = ()  # group names


DEMO_SWITCHES = [
    DemoSwitch("new_checkout", GLOBAL, "New checkout", "The one-step checkout (decided in the view)."),
    DemoSwitch("catalogue_banner", GLOBAL, "Sale banner", "The banner on the catalogue page."),
    DemoSwitch(
        "product_reviews",
        SELECTIVE,
        "Product reviews",
        "Reviews on product pages, for staff while they are moderated.",
        ((USERS, "is_staff", "1"),),
    ),
    DemoSwitch(
        "bulk_ordering",
        SELECTIVE,
        "Bulk ordering",
        "The /bulk-order/ page, for customers on the Pro plan in Germany or France.",
        # The plan is required (AND-ed), the countries are alternatives (OR-ed).
        ((CUSTOMERS, "plan", "pro", REQUIRED), (CUSTOMERS, "country", "DE"), (CUSTOMERS, "country", "FR")),
    ),
    DemoSwitch(
        "free_shipping",
        SELECTIVE,
        "Free shipping",
        "Free shipping for customers in Germany and France.",
        ((CUSTOMERS, "country", "DE"), (CUSTOMERS, "country", "FR")),
    ),
    DemoSwitch(
        "recommendations",
        SELECTIVE,
        "Recommendations",
        '"You may also like" on product pages, for 10 % of logged-in users.',
        ((USERS, "percent", "0-10"),),
    ),
    DemoSwitch(
        "wishlist",
        SELECTIVE,
        "Wishlist",
        "A wishlist button on product pages, for the Beta testers group.",
        ((USERS, "groups", BETA_TESTERS),),
    ),
    DemoSwitch(
        "compact_catalogue",
        SELECTIVE,
        "Compact catalogue",
        "A compact catalogue for 50 % of visitors, signed in or not, kept per browser by the visitor cookie.",
        ((VISITORS, "percent", "0-50"),),
    ),
    DemoSwitch("new_checkout:express", INHERIT, "Express checkout", "One-click checkout; follows new_checkout."),
    DemoSwitch("product_reviews:photos", INHERIT, "Review photos", "Photos in reviews; follows product_reviews."),
    DemoSwitch("gift_cards", DISABLED, "Gift cards", "The /gift-cards/ page, not launched yet."),
    DemoSwitch("dark_mode", DISABLED, "Dark mode", "A dark theme for the whole shop."),
    DemoSwitch(
        "quick_view",
        DISABLED,
        "Quick view",
        "A product preview on the catalogue, rolled out by a guarded rollout (see the README).",
    ),
]

#: The guarded rollout seed_demo starts for quick_view, on the visitors' IP addresses (so
#: anonymous traffic from `manage.py simulate_traffic` counts): 5 %, 25 %, 50 %, then
#: everyone, each stage held 10 minutes (10 seconds with the demo's fast clock) and until 20
#: visitors got it.
QUICK_VIEW_ROLLOUT = {
    "stages": [{"percent": percent, "hold": 600, "min_exposed": 20} for percent in (5, 25, 50)] + [100],
    "condition_set": "gargoyle.builtins.IPAddressConditionSet",
    "min_requests": 50,
}

DEMO_USERS = [
    DemoUser("admin", "superuser: may change every switch in the panel", is_staff=True, is_superuser=True),
    DemoUser("alice", "Pro plan, Germany", plan="pro", country="DE"),
    DemoUser(
        "bob", "Free plan, United States, in the Beta testers group", plan="free", country="US", groups=(BETA_TESTERS,)
    ),
    DemoUser(
        "carol",
        "staff who may view the switch panel but not change it; Plus plan, France",
        plan="plus",
        country="FR",
        is_staff=True,
        permissions=("gargoyle.view_switch",),
    ),
]

#: Plain shoppers, enough that a 10 % rollout reaches some of them (about 6 of 64 users):
#: ``shopper01`` to ``shopper60``, all with the password ``SHOPPER_PASSWORD``, no customer
#: profile. On a fresh database they get the ids 5 to 64, after the users above.
SHOPPER_COUNT = 60
SHOPPER_PASSWORD = "shopper"
DEMO_SHOPPERS = [f"shopper{number:02d}" for number in range(1, SHOPPER_COUNT + 1)]

DEMO_PRODUCTS = [
    ("Burr grinder", "burr-grinder", Decimal("129.00"), "Conical steel burrs, forty grind settings, quiet."),
    ("Espresso cups, set of 4", "espresso-cups", Decimal("24.00"), "Thick porcelain that keeps the crema warm."),
    ("House beans, 1 kg", "house-beans", Decimal("32.50"), "A chocolatey medium roast from Minas Gerais."),
    ("Milk frother", "milk-frother", Decimal("19.90"), "Hand pump frother for silky foam, no batteries."),
    ("Pour-over kettle", "pour-over-kettle", Decimal("49.00"), "A gooseneck spout for a slow, even pour."),
]


# Two weeks of checks, so the panel's usage figures and charts show something from the start:
# key -> (checks per hour at the busiest hour, share that answered on). gift_cards has none:
# the code never asks for it yet.
DEMO_USAGE = {
    "catalogue_banner": (600, 1.0),
    "new_checkout": (240, 1.0),
    "new_checkout:express": (60, 1.0),
    "recommendations": (360, 0.10),
    "free_shipping": (90, 0.30),
    "bulk_ordering": (30, 0.05),
    "product_reviews": (360, 0.02),
    "product_reviews:photos": (120, 0.02),
    "dark_mode": (900, 0.0),
}
USAGE_DAYS = 45  # hourly rows for the last 7 days, daily ones before

# How old each demo switch is: key -> (days since created, days since last modified), so that
# the shop looks lived in and `manage.py stale_switches` has something to say: gift_cards is
# never checked, the Global ones have answered the same for weeks.
DEMO_AGES = {
    "new_checkout": (120, 60),
    "catalogue_banner": (90, 45),
    "new_checkout:express": (100, 40),
    "recommendations": (30, 2),
    "free_shipping": (75, 20),
    "bulk_ordering": (60, 10),
    "product_reviews": (50, 5),
    "product_reviews:photos": (50, 5),
    "gift_cards": (70, 70),
    "dark_mode": (14, 1),
}
