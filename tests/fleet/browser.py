"""Debian's chromium, headless, driven by selenium through Debian's chromium-driver: both paths are
given, so selenium never looks for (or downloads) a browser or a driver of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional

PACKAGES = ("chromium", "chromium-driver")
WINDOW = (1400, 1000)


def binaries() -> Optional[tuple]:
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def install() -> Optional[str]:
    """apt-get install the browser when it is missing and we may (root, apt-get there, not opted out
    with MESHOPS_NO_BROWSER_INSTALL); returns why not, or None when it is there afterwards."""
    if binaries():
        return None
    if os.environ.get("MESHOPS_NO_BROWSER_INSTALL"):
        return "chromium/chromium-driver missing and MESHOPS_NO_BROWSER_INSTALL is set"
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return "chromium/chromium-driver missing (apt-get install -y %s, as root)" % " ".join(PACKAGES)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    if subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600, check=False)
        subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False)
    return None if binaries() else "apt-get could not install %s" % " ".join(PACKAGES)


def driver():
    """A headless Chrome WebDriver on Debian's chromium (selenium must be importable)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = binaries()
    if found is None:
        raise RuntimeError("chromium and chromedriver are not installed")
    browser, chromedriver = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=%d,%d" % WINDOW,
        "--hide-scrollbars",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def screenshot(page: Path, png: Path) -> None:
    """A screenshot of the top of `page` (the fleet table and the root causes)."""
    session = driver()
    try:
        session.get(page.resolve().as_uri())
        png.parent.mkdir(parents=True, exist_ok=True)
        session.save_screenshot(str(png))
    finally:
        session.quit()
