"""The connector test kit (`hub.testing`) over every connector of this repository and its emulator
(the subjects are listed in tests/connectors/kit.py)."""

from __future__ import annotations

from hub.testing import connector_test_class
from tests.connectors.kit import SUBJECTS

TestKit = connector_test_class(SUBJECTS)
