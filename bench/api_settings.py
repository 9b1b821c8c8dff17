"""Settings for `bench/api.py`: the product's, plus the baseline view's URL (bench only)."""

import warnings

from config.settings import *  # noqa: F401,F403

# DEBUG off puts WhiteNoise in; the admin's static files are not collected for a benchmark.
warnings.filterwarnings("ignore", message="No directory at")

ROOT_URLCONF = "bench.api_urls"
