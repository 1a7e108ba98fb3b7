"""The alerting rules (deploy/kubernetes/monitoring/prometheus-rule.yaml): promtool's unit tests,
and a real Prometheus scraping a real server, whose out-of-distribution alert fires after
novel-body traffic and not before."""

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from celestial.render import NOVEL_BODIES, render_dataset
from celestial.serving.server_process import free_port, serving
from conftest import PROJECT_ROOT, TEST_BODIES

RULES = PROJECT_ROOT / "deploy/kubernetes/monitoring/prometheus-rule.yaml"
UNIT_TESTS = Path(__file__).parent / "alerts/rules.test.yaml"
ALERT = "CelestialOutOfDistribution"


def rule_groups() -> dict:
    """The PrometheusRule's groups, as a Prometheus rule file holds them."""
    return {"groups": yaml.safe_load(RULES.read_text())["spec"]["groups"]}


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    if not shutil.which("promtool"):
        pytest.fail("promtool is needed: make system-deps (Debian's prometheus package)")
    return subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(), sort_keys=False))
    return tmp_path


def test_the_rules_are_valid(rules_dir: Path) -> None:
    checked = promtool("check", "rules", "rules.yaml", cwd=rules_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    alerts = {rule["alert"] for group in rule_groups()["groups"] for rule in group["rules"]
              if "alert" in rule}  # fmt: skip
    assert alerts == {
        ALERT,
        "CelestialLabelMixShift",
        "CelestialErrors",
        "CelestialSlowPredictions",
    }


def test_the_rules_pass_their_unit_tests(rules_dir: Path) -> None:
    shutil.copy(UNIT_TESTS, rules_dir / "rules.test.yaml")
    tested = promtool("test", "rules", "rules.test.yaml", cwd=rules_dir)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_a_wrong_expectation_fails_the_unit_tests(rules_dir: Path) -> None:
    """The unit tests can fail: expecting the alert 10 minutes before its `for:` ends does."""
    tests = UNIT_TESTS.read_text().replace("- eval_time: 40m", "- eval_time: 30m", 1)
    (rules_dir / "rules.test.yaml").write_text(tests)
    tested = promtool("test", "rules", "rules.test.yaml", cwd=rules_dir)
    assert tested.returncode != 0
    assert f"alertname: {ALERT}, time: 30m" in tested.stdout + tested.stderr


# For the live test, the rules' windows and waits shrink from minutes to seconds; the expressions,
# metric names and labels stay those of the file.
SECONDS = {"5m": "10s", "1h": "20s", "1d": "60s", "10m": "5s", "30m": "5s"}


def in_seconds(rules: dict) -> dict:
    text = yaml.safe_dump(rules, sort_keys=False)
    text = re.sub(r"\[(\d+[mhd])\]", lambda m: f"[{SECONDS[m.group(1)]}]", text)
    text = re.sub(r"for: (\d+[mhd])", lambda m: f"for: {SECONDS[m.group(1)]}", text)
    return yaml.safe_load(text)


@pytest.fixture
def watched_server(trained_model, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server of its own, and a real Prometheus scraping it every second with the rules."""
    env = {"CELESTIAL_MODEL_TAG": str(trained_model.tag)}
    with serving("celestial.serving.service:CelestialClassifier", log=tmp_path / "server.log",
                 env=env) as server:  # fmt: skip
        (tmp_path / "rules.yaml").write_text(yaml.safe_dump(in_seconds(rule_groups())))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules.yaml"],
            "scrape_configs": [{"job_name": "celestial", "static_configs": [
                {"targets": [server.url.removeprefix("http://")]}]}],
        }  # fmt: skip
        (tmp_path / "prometheus.yaml").write_text(yaml.safe_dump(config))
        prometheus = f"http://127.0.0.1:{free_port()}"
        process = subprocess.Popen(
            ["prometheus", "--config.file=prometheus.yaml", "--storage.tsdb.path=data",
             f"--web.listen-address={prometheus.removeprefix('http://')}"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(lambda: httpx.get(f"{prometheus}/-/ready").status_code == 200, 60)
            yield server.url, prometheus
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def alert_states(prometheus: str) -> set[str]:
    """The states (pending, firing) the out-of-distribution alert is in now."""
    alerts = httpx.get(f"{prometheus}/api/v1/alerts").json()["data"]["alerts"]
    return {alert["state"] for alert in alerts if alert["labels"]["alertname"] == ALERT}


def send(url: str, images: list[bytes], stop: threading.Event) -> None:
    with httpx.Client() as client:
        while not stop.is_set():
            for image in images:
                client.post(f"{url}/predict", files={"image": ("x.jpg", image)}).raise_for_status()
                time.sleep(0.02)


def test_out_of_distribution_alert_fires_after_novel_bodies_and_not_before(
    watched_server: tuple[str, str], tmp_path: Path
) -> None:
    url, prometheus = watched_server
    known = [p.read_bytes() for p in render_dataset(tmp_path / "known", bodies=TEST_BODIES,
                                                    images_per_class=10, seed=31)]  # fmt: skip
    novel = [p.read_bytes() for p in render_dataset(tmp_path / "novel", bodies=NOVEL_BODIES,
                                                    images_per_class=8, seed=32)]  # fmt: skip
    # Known bodies for twice the alert's window plus its wait: never pending, never firing.
    stop = threading.Event()
    traffic = threading.Thread(target=send, args=(url, known, stop))
    traffic.start()
    try:
        seen: set[str] = set()
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            seen |= alert_states(prometheus)
            time.sleep(0.5)
        scraped = httpx.get(f"{prometheus}/api/v1/query",
                            params={"query": "celestial:predictions:rate5m"}).json()  # fmt: skip
        assert float(scraped["data"]["result"][0]["value"][1]) > 1, "Prometheus sees the traffic"
        assert seen == set(), f"the alert went {seen} on known bodies"
    finally:
        stop.set()
        traffic.join()
    # Then bodies the model never learnt: the alert fires.
    stop = threading.Event()
    traffic = threading.Thread(target=send, args=(url, novel, stop))
    traffic.start()
    try:
        wait_for(lambda: "firing" in alert_states(prometheus), 60)
    finally:
        stop.set()
        traffic.join()
