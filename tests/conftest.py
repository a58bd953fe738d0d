import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
# Once a night: the property tests at 1,000 examples and the fuzz tests at 10^5 calls.
settings.register_profile("nightly", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)

#: Calls of the KPI library and the Excel functions together, shared out over
#: tests/test_fuzz_kpis.py and tests/test_fuzz_udfs.py (half each).
FUZZ_EXAMPLES = {"nightly": 100_000, "thorough": 20_000}.get(PROFILE, 10_000)

# Child-process harnesses: importing them would set XLWINGS_ON_SERVER or stub pywin32 in the
# test process itself, so pytest (and --doctest-modules) must not collect them.
collect_ignore = ["officejs_harness.py", "classic_vba_harness.py"]
