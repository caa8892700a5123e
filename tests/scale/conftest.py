"""One scaled-out setup (tests/scale/harness.py) for every test in this folder: started
once, because two Rasa servers, two action servers and two gateways take a while to load."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import _BASE, _models_missing
from tests.fakes.telegram_api import FakeTelegramApi
from tests.scale.harness import TELEGRAM_TOKEN, ScaleOut, ScalePorts, missing_binaries


@pytest.fixture(scope="session")
def scale_out() -> Iterator[ScaleOut]:
    missing = missing_binaries()
    if missing and not os.environ.get("CI"):
        pytest.skip(f"not installed here (CI installs them): {', '.join(missing)}")
    if _models_missing():
        pytest.skip("needs the trained models: run `make model`")
    setup = ScaleOut(ScalePorts(_BASE + 600))
    try:
        setup.start()
        yield setup
    finally:
        setup.stop()


@pytest.fixture
def telegram(scale_out: ScaleOut) -> Iterator[FakeTelegramApi]:
    """The fake Bot API the scaled gateways send their Telegram answers to."""
    with FakeTelegramApi(token=TELEGRAM_TOKEN, port=scale_out.ports.fake_telegram) as fake:
        yield fake
