"""The shop's pages. Each asks gargoyle in one of the ways the docs teach."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import TemplateView

from gargoyle import gargoyle
from gargoyle.decorators import switch_is_active
from gargoyle.mixins import SwitchActiveMixin
from shop.models import Product


def catalogue(request):
    quick_view = gargoyle.is_active("quick_view", request)
    if quick_view and getattr(settings, "SHOP_BREAK_QUICK_VIEW", False):
        # `manage.py simulate_traffic --broken`: the new code fails, so its guard trips.
        raise RuntimeError("quick view is broken (a simulated bug)")
    return render(request, "shop/catalogue.html", {"products": Product.objects.all(), "quick_view": quick_view})


def product(request, slug):
    """A product; its template shows reviews and recommendations with {% ifswitch %}."""
    item = get_object_or_404(Product, slug=slug)
    others = Product.objects.exclude(pk=item.pk)[:3]
    return render(request, "shop/product.html", {"product": item, "others": others})


def checkout(request):
    """The one-step checkout for whoever ``new_checkout`` is on for, the classic one otherwise."""
    new_flow = gargoyle.is_active("new_checkout", request)
    if request.method == "POST":
        return _order_placed(request, "one-step" if new_flow else "classic")
    template = "shop/checkout_new.html" if new_flow else "shop/checkout.html"
    return render(request, template, {"product": _product_in(request.GET)})


@switch_is_active("new_checkout:express", redirect_to="checkout")
def express_checkout(request):
    """One-click checkout. While its switch is off, visitors land on the normal checkout."""
    if request.method == "POST":
        return _order_placed(request, "express")
    return render(request, "shop/express.html", {"product": _product_in(request.GET)})


@switch_is_active("bulk_ordering")
def bulk_order(request):
    """For Pro customers only (see shop/gargoyle.py); a 404 for everyone else."""
    if request.method == "POST":
        lines = [line for line in request.POST.get("lines", "").splitlines() if line.strip()]
        messages.success(request, f"Bulk order of {len(lines)} lines received (a demo: nothing was charged).")
        return redirect("catalogue")
    return render(request, "shop/bulk_order.html", {"products": Product.objects.all()})


class GiftCardsView(SwitchActiveMixin, TemplateView):
    """Not launched yet: a 404 until ``gift_cards`` is on for the visitor."""

    switch_key = "gift_cards"
    template_name = "shop/gift_cards.html"
    extra_context = {"amounts": [25, 50, 100]}


def deals(request):
    """A page rendered by Jinja2 (shop/jinja2/shop/deals.html): its {% ifswitch %} and
    is_active() come from gargoyle's Jinja2 extension."""
    return render(request, "shop/deals.html", {"products": Product.objects.all()}, using="jinja2")


def _product_in(data):
    slug = data.get("product")
    return get_object_or_404(Product, slug=slug) if slug else None


def _order_placed(request, flow):
    item = _product_in(request.POST)
    what = item.name if item else "your basket"
    messages.success(request, f"Thank you! {what} went through the {flow} checkout (a demo: nothing was charged).")
    return redirect("catalogue")
