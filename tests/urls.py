from django.urls import include, path

from tests.testapp import views

urlpatterns = [
    path("", include("gargoyle.ofrep")),
    path("switched/", views.switched, name="switched"),
    path("switched-redirect/", views.switched_redirect, name="switched-redirect"),
    path("switched-async/", views.switched_async, name="switched-async"),
    path("mixin/", views.MixinView.as_view(), name="mixin"),
    path("landing/", views.landing, name="landing"),
    path("template/", views.template_view, name="template"),
    path("switched-redirect-path/", views.switched_redirect_path, name="switched-redirect-path"),
    path("switched-redirect-url/", views.switched_redirect_url, name="switched-redirect-url"),
    path("switched-async-redirect/", views.switched_async_redirect, name="switched-async-redirect"),
    path("template-async/", views.template_async, name="template-async"),
]
