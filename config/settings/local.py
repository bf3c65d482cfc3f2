"""Developer machine: debug on, everything else from base."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# With DEBUG off (as `make run` runs), WhiteNoise serves the static files straight from the apps,
# without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
