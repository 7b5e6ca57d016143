from gargoyle import gargoyle
from shop.demo_data import DEMO_SWITCHES


def demo_switches(request):
    """``demo_switches``: each demo switch and whether it is on for this request (the footer)."""

    # A callable, so pages that do not show the footer (the admin's) never evaluate it.
    def switches():
        return [(switch, gargoyle.is_active(switch.key, request)) for switch in DEMO_SWITCHES]

    return {"demo_switches": switches}
