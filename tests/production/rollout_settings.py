"""Settings of the simulation's traffic processes: the scratch database, the exposure
middleware, a fast clock (GARGOYLE_ROLLOUT_SPEED) and quick flushes and checks."""

import os

from tests.production.scratch_settings import *  # noqa: F403

MIDDLEWARE = ["gargoyle.middleware.SwitchExposureMiddleware"]
ROOT_URLCONF = "tests.production.rollout_worker"
ALLOWED_HOSTS = ["*"]
GARGOYLE_CHECK_INTERVAL = 0.2
GARGOYLE_USAGE_FLUSH_INTERVAL = 1  # the shortest allowed
# A minute of a rollout's clock passes in a second: evaluations every second, holds of 60 s in 1 s.
GARGOYLE_ROLLOUT_SPEED = float(os.environ.get("GARGOYLE_SIMULATION_SPEED", "60"))

if os.environ.get("GARGOYLE_SIMULATION_CACHE") == "redis":
    # A shared cache: a rollout's steps reach the other processes by their next request.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("GARGOYLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": f"gargoyle-simulation-{os.environ['GARGOYLE_SCRATCH_DB']}",
        }
    }
