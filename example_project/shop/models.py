from django.conf import settings
from django.db import models
from django.urls import reverse


class Product(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    description = models.TextField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("product", args=[self.slug])


class Customer(models.Model):
    """A user's customer profile: what the shop's own condition set judges (shop/gargoyle.py)."""

    class Plan(models.TextChoices):
        FREE = "free", "Free"
        PLUS = "plus", "Plus"
        PRO = "pro", "Pro"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer")
    plan = models.CharField(max_length=10, choices=Plan.choices, default=Plan.FREE)
    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. DE.")

    def __str__(self):
        return f"{self.user} ({self.get_plan_display()}, {self.country})"
