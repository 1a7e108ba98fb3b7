"""A person's first contact: upload an image to /predict in the Swagger UI, in a real browser."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As this machine's network demands: no sandbox as root, no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is needed for the browser test: run `make system-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_upload_an_image_in_the_swagger_ui(server: str, browser, held_out, tmp_path: Path):
    page = browser.new_page()
    page.goto(server)
    predict = page.locator("#operations-Service_APIs-CelestialClassifier__predict")
    predict.locator(".opblock-summary").click()
    predict.get_by_role("button", name="Try it out").click()
    predict.locator("input[type=file]").set_input_files(held_out["Neptune"][0])
    predict.get_by_role("button", name="Execute").click()

    answer = predict.locator(".live-responses-table tr.response .response-col_description pre")
    answer.first.wait_for(timeout=30_000)
    page.screenshot(path=tmp_path / "swagger.png", full_page=True)
    status = predict.locator(".live-responses-table tr.response .response-col_status").first
    assert status.inner_text().strip() == "200"
    assert '"prediction": "Neptune"' in answer.first.inner_text()
