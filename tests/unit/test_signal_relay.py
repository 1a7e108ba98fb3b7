"""The container's entrypoint relays stop signals until the server ends, even one that refuses
the first (as `bentoml serve` does while it starts its workers)."""

import signal
import subprocess
import sys
import time

from celestial.serving import signal_relay

# Ignores the first SIGTERM, exits 3 on the second; says when it is ready for them.
STUBBORN = """
import signal, sys, time
count = 0
def handle(signum, frame):
    global count
    count += 1
    if count == 2:
        sys.exit(3)
signal.signal(signal.SIGTERM, handle)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def relayed(program: str) -> tuple[int, float]:
    """Run `program` under the relay, SIGTERM the relay once the program is ready: the relay's
    exit status and the seconds from the signal to its end."""
    relay = subprocess.Popen(
        [sys.executable, "-m", signal_relay.__name__, sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert relay.stdout.readline() == "ready\n"
    sent = time.monotonic()
    relay.send_signal(signal.SIGTERM)
    status = relay.wait(timeout=30)
    return status, time.monotonic() - sent


def test_a_signal_the_command_refuses_is_sent_again_until_it_ends() -> None:
    status, seconds = relayed(STUBBORN)
    assert status == 3
    assert seconds >= signal_relay.RESEND_SECONDS, "ended by the second signal, not the first"


def test_a_command_ended_by_the_signal_exits_128_plus_its_number() -> None:
    status, _ = relayed('print("ready", flush=True); import time; time.sleep(60)')
    assert status == 128 + signal.SIGTERM


def test_without_a_command_it_says_how_to_use_it() -> None:
    result = subprocess.run([sys.executable, "-m", signal_relay.__name__], capture_output=True,
                            text=True)  # fmt: skip
    assert result.returncode == 1
    assert "usage:" in result.stderr
