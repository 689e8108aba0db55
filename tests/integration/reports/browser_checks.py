"""What the browser tests check on fleet.html, shared by the fleet test and the page test."""

from __future__ import annotations

import pytest

from tests.fleet import browser


@pytest.fixture(scope="session")
def chrome():
    pytest.importorskip("selenium")
    why = browser.install()
    if why:
        pytest.skip(why)
    session = browser.driver()
    yield session
    session.quit()


def shown(session):
    from selenium.webdriver.common.by import By

    return int(session.find_element(By.ID, "shown").text)


def visible_rows(session, selector):
    from selenium.webdriver.common.by import By

    return [row for row in session.find_elements(By.CSS_SELECTOR, selector) if row.is_displayed()]


def choose(session, select_id, value):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(session.find_element(By.ID, select_id)).select_by_value(value)
