"""Optional integrations with other tools, each behind a setting and its own pip extra:
``sentry`` (``pip install gargoyle[sentry]``). See docs/integrations.rst."""
