"""A person's first contact: upload an image to /predict in the Swagger UI, in a real browser."""

import shutil
from pathlib import Path

import pytest

import celestial

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


def test_the_first_page_names_the_project(server: str, browser, trained_model, tmp_path: Path):
    """The Swagger UI's page shows this service's title, version and description: what to upload,
    what comes back and the errors; not BentoML's placeholder."""
    page = browser.new_page()
    page.goto(server)
    info = page.locator(".information-container .info")
    info.wait_for(timeout=30_000)
    page.screenshot(path=tmp_path / "first-page.png")
    assert page.title() == "Celestial bodies classifier"
    assert page.locator(".info .title").inner_text().startswith("Celestial bodies classifier")
    assert page.locator(".info .title .version").first.inner_text().strip() == celestial.__version__
    text = info.inner_text()
    for expected in ("POST /predict", "image", "in_distribution", "415", str(trained_model.tag)):
        assert expected in text
    for placeholder in ("BentoML", "None", "CelestialClassifier:dev"):
        assert placeholder not in text


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
