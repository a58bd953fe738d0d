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


def pytest_collection_modifyitems(config, items):
    """Mark every test that opens LibreOffice ``office`` (it calls require_office, directly or
    through a fixture), so ``pytest -m "not office and not slow and not spark"`` is the fast
    suite; a marker cannot be forgotten on a new test."""
    import inspect

    import pytest

    def uses_office(function) -> bool:
        try:
            return "require_office(" in inspect.getsource(function)
        except (OSError, TypeError):
            return False

    for item in items:
        function = getattr(item, "function", None)
        if function is None:
            continue
        fixtures = getattr(item, "_fixtureinfo", None)
        defs = fixtures.name2fixturedefs.values() if fixtures is not None else ()
        if uses_office(function) or any(uses_office(d[-1].func) for d in defs if d):
            item.add_marker(pytest.mark.office)
