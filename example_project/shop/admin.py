from django.contrib import admin

from shop.models import Customer, Product

# Change a customer's plan or country here and watch the switches of shop/gargoyle.py follow.


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["user", "plan", "country"]
    list_editable = ["plan", "country"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "price"]
    prepopulated_fields = {"slug": ["name"]}
