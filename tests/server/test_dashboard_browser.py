"""The dashboard in a real browser (Debian's chromium through Selenium): log in
with a viewer token, see the retired key of examples/ on the exposures page."""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import RETIRED_ID, StartServer, keysweep, registry_with, sweep_examples

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium/chromium-driver are not installed (.ci/run)")
        pytest.skip("chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(30)  # a loaded machine may take a while to render the next page
    yield driver
    driver.quit()


def test_a_viewer_logs_in_and_sees_the_retired_example_key(
    start_server: StartServer, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    server = start_server()
    host_file = server.token_file(server.token("host", platform.node()))
    admin = server.token_file(server.token("admin", "sec"))
    viewer = server.token("viewer", "alice")
    pushed = keysweep(
        "server",
        "registry",
        "push",
        registry_with(tmp_path, "deactivated"),
        "--server",
        server.url,
        "--token-file",
        admin,
    )
    assert pushed.returncode == 0, pushed.stderr
    assert sweep_examples(server, host_file).returncode == 1

    browser.get(server.url + "/")
    assert browser.current_url.endswith("/login")
    browser.find_element(By.ID, "token").send_keys(viewer[:-3] + "xyz")
    browser.find_element(By.ID, "login").click()
    assert "Not a valid viewer token" in browser.find_element(By.ID, "error").text

    browser.find_element(By.ID, "token").send_keys(viewer)
    browser.find_element(By.ID, "login").click()
    table = browser.find_element(By.ID, "exposures")
    rows = table.find_elements(By.CSS_SELECTOR, "tr.exposure")
    assert len(rows) == 1
    assert RETIRED_ID in rows[0].text
    assert "deactivated" in rows[0].text and "emp-1042" in rows[0].text
    assert "signing-2019.pem" in rows[0].text
    assert browser.find_elements(By.CSS_SELECTOR, "svg.timeline")
    page = browser.page_source
    assert viewer not in page and "BEGIN" not in page
    shot = tmp_path / "exposures.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 1000

    browser.find_element(By.LINK_TEXT, RETIRED_ID).click()
    assert browser.find_element(By.XPATH, "//h2[text()='Verdict history']")
    browser.find_element(By.LINK_TEXT, "Registry").click()
    assert browser.find_element(By.XPATH, "//td[text()='registry:registry-deactivated.yaml']")


def test_login_without_the_form_csrf_token_is_refused(start_server: StartServer) -> None:
    server = start_server()
    viewer = server.token("viewer", "alice")
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/login").status_code == 200
        refused = client.post("/login", data={"token": viewer, "csrf": "forged"})
        assert refused.status_code == 403
        assert client.get("/", follow_redirects=False).status_code == 303
    assert server.count("audit_log") == 1  # the token was created; no login happened
