"""Run a command and relay SIGTERM and SIGINT to it, again every second until it ends.

    python -m celestial.serving.signal_relay bentoml serve ...     (the container's entrypoint)

`bentoml serve`'s process manager (circus) turns a stop signal into a "quit" command that it
refuses while another command runs, such as starting the workers: a container stopped in that
moment kept serving and was killed at the end of its grace period. Sent again, the signal lands
once the start is over; a server already stopping ignores it.
"""

import signal
import subprocess
import sys
from collections.abc import Sequence

RESEND_SECONDS = 1.0
RELAYED = (signal.SIGTERM, signal.SIGINT)


def run(command: Sequence[str]) -> int:
    """The command's exit status, 128 + the signal's number if a signal ended it."""
    child = subprocess.Popen(command)
    received: list[int] = []

    def relay(signum: int, _frame: object) -> None:
        received.append(signum)
        child.send_signal(signum)
        signal.setitimer(signal.ITIMER_REAL, RESEND_SECONDS, RESEND_SECONDS)

    def resend(_signum: int, _frame: object) -> None:
        child.send_signal(received[-1])  # a no-op once the child is reaped

    signal.signal(signal.SIGALRM, resend)
    for signum in RELAYED:
        signal.signal(signum, relay)
    status = child.wait()  # resumed after each handler (PEP 475)
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(f"usage: python -m {__spec__.name} COMMAND [ARG ...]")
    sys.exit(run(sys.argv[1:]))
