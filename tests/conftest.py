import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Child-process harnesses: importing them would set XLWINGS_ON_SERVER or stub pywin32 in the
# test process itself, so pytest (and --doctest-modules) must not collect them.
collect_ignore = ["officejs_harness.py", "classic_vba_harness.py"]
