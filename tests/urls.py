from django.urls import path

from tests.testapp import views

urlpatterns = [
    path("switched/", views.switched, name="switched"),
    path("switched-redirect/", views.switched_redirect, name="switched-redirect"),
    path("switched-async/", views.switched_async, name="switched-async"),
    path("mixin/", views.MixinView.as_view(), name="mixin"),
    path("landing/", views.landing, name="landing"),
    path("template/", views.template_view, name="template"),
]
