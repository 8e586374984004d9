# conftest.py: the coverage.py version matrix for every test directory below.
# A test that runs a real coverage.py (a writer, combine, a report) takes the
# `cov` fixture and runs once per version of $COVSETTLE_MATRIX, the version in
# its id ("test_x[cov7.17.5]"). A version whose venv is missing fails the test.
#
# @pytest.mark.cov_xfail("7.17.5", eras=(3,), reason="...") marks the runs on
# those versions (or eras) as expected failures, strict: one that passes fails.
# params={"point": ("after-save",)} narrows it to those values of the test's
# other parameters.
import pytest

import covmatrix

try:
    MATRIX = covmatrix.selected()
except ValueError as err:
    raise pytest.UsageError(str(err))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cov_xfail(*versions, eras=(), params={}, reason): a strict"
        " xfail on those coverage.py versions or eras of the matrix")


@pytest.fixture(params=MATRIX, ids=[c.id for c in MATRIX])
def cov(request):
    """The coverage.py of this run (tests/covmatrix.py's Cov)."""
    why = request.param.missing()
    if why:
        pytest.fail(why, pytrace=False)
    return request.param


def pytest_collection_modifyitems(items):
    for item in items:
        spec = getattr(item, "callspec", None)
        version = spec.params.get("cov") if spec else None
        if version is None:
            continue
        for mark in item.iter_markers("cov_xfail"):
            if not (version.version in mark.args
                    or version.era in mark.kwargs.get("eras", ())):
                continue
            narrow = mark.kwargs.get("params", {})
            if all(spec.params.get(k) in v for k, v in narrow.items()):
                item.add_marker(pytest.mark.xfail(
                    strict=True, reason=mark.kwargs.get("reason", "")))
