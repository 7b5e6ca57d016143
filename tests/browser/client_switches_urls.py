"""URLs of the client-switch browser tests: those of ``urls.py``, OFREP's and two test pages.

``/client-switches/`` renders ``{% client_switches %}`` and loads ``gargoyle/switches.js``
through a script of its own (``client_switches/page.js``): no inline script. The page shows
what the module says and keeps the module on ``window`` for the tests.

``/client-switches/openfeature/`` loads the OpenFeature web SDK and its OFREP provider from
npm's ESM builds, as they are (``/node_modules/``, with an import map): no bundler. The
import map is the one inline script, let through the page's own strict policy by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path
from django.views.static import serve

from tests.browser import urls
from tests.browser.csp import POLICY

HERE = Path(__file__).resolve().parent / "client_switches"

#: The OpenFeature packages the OFREP page imports, as the import map names them.
OPENFEATURE_PACKAGES = (
    "@openfeature/core",
    "@openfeature/web-sdk",
    "@openfeature/ofrep-core",
    "@openfeature/ofrep-web-provider",
)


def node_modules() -> Path | None:
    """npm's folder: ``GARGOYLE_NODE_MODULES``, else the one axe-core was installed into (tox -e browser)."""
    if os.environ.get("GARGOYLE_NODE_MODULES"):
        return Path(os.environ["GARGOYLE_NODE_MODULES"])
    axe = os.environ.get("GARGOYLE_AXE_SCRIPT")
    return Path(axe).parent.parent if axe else None  # node_modules/axe-core/axe.min.js


def missing_openfeature() -> str | None:
    """Why the OpenFeature page cannot work here, or None."""
    folder = node_modules()
    absent = [name for name in OPENFEATURE_PACKAGES if folder is None or not (folder / name / "package.json").is_file()]
    if absent:
        return f"npm packages missing: {', '.join(absent)} (tox -e browser installs them)"
    return None


def esm_entry(package: str) -> str:
    """The file of a package's ES module build, from its package.json (``module``, else ``exports.import``)."""
    folder = node_modules()
    assert folder is not None
    manifest = json.loads((folder / package / "package.json").read_text(encoding="utf-8"))
    entry = manifest.get("module") or manifest["exports"]["import"]
    return f"/node_modules/{package}/{entry.removeprefix('./')}"


def render(request: HttpRequest, name: str, context: dict[str, object]) -> HttpResponse:
    source = (HERE / name).read_text(encoding="utf-8")
    return HttpResponse(engines["django"].from_string(source).render(context, request))


def page(request: HttpRequest) -> HttpResponse:
    """The test page; ``?element=ID`` renders the data under another id (the script then loads it)."""
    return render(request, "page.html", {"element_id": request.GET.get("element", "gargoyle-client-switches")})


def openfeature_page(request: HttpRequest) -> HttpResponse:
    """The OpenFeature page, under the strict policy plus the import map's hash."""
    import_map = json.dumps({"imports": {package: esm_entry(package) for package in OPENFEATURE_PACKAGES}})
    response = render(request, "openfeature.html", {"import_map": import_map})
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    response["Content-Security-Policy"] = POLICY.replace("script-src 'self'", f"script-src 'self' 'sha256-{digest}'")
    return response


def script(request: HttpRequest, name: str) -> HttpResponse:
    if name not in ("page.js", "openfeature.js"):
        raise Http404(name)
    return serve(request, name, document_root=str(HERE))


def npm_file(request: HttpRequest, name: str) -> HttpResponse:
    folder = node_modules()
    if folder is None:
        raise Http404(name)
    return serve(request, name, document_root=str(folder))  # serve() refuses paths out of the folder


urlpatterns = [
    *urls.urlpatterns,
    path("", include("gargoyle.ofrep")),
    path("client-switches/", page, name="client-switches"),
    path("client-switches/openfeature/", openfeature_page, name="client-switches-openfeature"),
    path("client-switches/<str:name>", script, name="client-switches-script"),
    path("node_modules/<path:name>", npm_file),
]


class Unmounted:
    """The same site without OFREP's URLs (``ROOT_URLCONF=Unmounted``): the page gets ``"url": null``."""

    urlpatterns = [pattern for pattern in urlpatterns if getattr(pattern, "app_name", None) != "gargoyle-ofrep"]
