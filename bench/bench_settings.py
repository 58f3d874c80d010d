"""Settings of bench/items_throughput_bench.py: production's, plus the floor endpoint's URLconf.

Production settings (DEBUG off, the full middleware stack) with the bench's URLconf, which adds
the bare `.values()` endpoint beside the real API. Not used by the application.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
