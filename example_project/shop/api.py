"""The shop's JSON API, with Django REST framework: the price list for bulk orders.

It exists only for the customers ``bulk_ordering`` is on for (Pro plan, shop/gargoyle.py):
``SwitchIsActive`` answers 404 to everyone else, like ``@switch_is_active`` on the
/bulk-order/ page. The switch judges the user the framework authenticated, by the session
or by HTTP Basic (the demo passwords are the usernames)::

    curl -u alice:alice http://127.0.0.1:8000/api/price-list/   # Pro: 200
    curl -u bob:bob http://127.0.0.1:8000/api/price-list/       # Free: 404
"""

from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gargoyle.integrations.drf import SwitchIsActive
from shop.models import Product


class PriceList(APIView):
    # Basic first: an anonymous request is asked for credentials (401), not refused.
    authentication_classes = [BasicAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated & SwitchIsActive("bulk_ordering")]

    def get(self, request):
        products = [{"slug": p.slug, "name": p.name, "price": str(p.price)} for p in Product.objects.all()]
        return Response({"customer": request.user.username, "products": products})
