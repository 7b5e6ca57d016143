from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from shop import api, views
from shop.demo_data import DEMO_SHOPPERS, DEMO_USERS, SHOPPER_PASSWORD

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("products/<slug:slug>/", views.product, name="product"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/express/", views.express_checkout, name="express_checkout"),
    path("gift-cards/", views.GiftCardsView.as_view(), name="gift_cards"),
    path("bulk-order/", views.bulk_order, name="bulk_order"),
    path("deals/", views.deals, name="deals"),  # a Jinja2 page
    path("api/price-list/", api.PriceList.as_view(), name="api_price_list"),  # Django REST framework
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            extra_context={
                "demo_users": DEMO_USERS,
                "demo_shoppers": (DEMO_SHOPPERS[0], DEMO_SHOPPERS[-1], len(DEMO_SHOPPERS)),
                "shopper_password": SHOPPER_PASSWORD,
            }
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The switch panel is part of the admin, at /admin/gargoyle/switch/: no URL of its own.
    path("admin/", admin.site.urls),
    # OFREP's endpoints, POST /ofrep/v1/evaluate/flags[/<key>]: the catalogue's script asks
    # the first again for the switches of GARGOYLE_CLIENT_SWITCHES.
    path("", include("gargoyle.ofrep")),
]

if settings.DEBUG_TOOLBAR:  # demo/settings.py: DEBUG and the [debug-toolbar] extra installed
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
