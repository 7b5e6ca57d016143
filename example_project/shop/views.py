from django.shortcuts import render

from gargoyle import gargoyle


def checkout(request):
    """The checkout page: the new flow for whoever ``new_checkout`` is on for."""
    new_checkout = gargoyle.is_active("new_checkout", request)
    return render(request, "shop/checkout.html", {"new_checkout": new_checkout})
