from django.contrib import admin
from django.urls import path
from shop import views

urlpatterns = [
    path("", views.checkout, name="checkout"),
    path("admin/", admin.site.urls),
]
