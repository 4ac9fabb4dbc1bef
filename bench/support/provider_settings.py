"""``bench.support.settings`` (the project's settings plus the benchmarks' routes) with the
provider list's baseline view routed as well (``provider_baseline``)."""

from bench.support.settings import *  # noqa: F403

ROOT_URLCONF = "bench.support.provider_baseline"
