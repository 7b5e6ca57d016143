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
