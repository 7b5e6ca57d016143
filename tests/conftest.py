import os

# The browser tests (tests/browser) run in their own tox environment, `tox -e browser`,
# which sets GARGOYLE_BROWSER_TESTS=1: Playwright's event loop must not share a process
# with the async tests of the main suite.
collect_ignore = [] if os.environ.get("GARGOYLE_BROWSER_TESTS") == "1" else ["browser"]

# The production tests (tests/production: many processes, outages, hostile input) run in
# `tox -e production`, which sets GARGOYLE_PRODUCTION_TESTS=1.
if os.environ.get("GARGOYLE_PRODUCTION_TESTS") != "1":
    collect_ignore.append("production")
