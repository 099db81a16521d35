"""Run several long-lived processes; restart the one that stops, with growing waits; stop them all on Ctrl-C only.

    python scripts/supervise.py NAME='COMMAND ...' [NAME='COMMAND ...' ...]

Each line a process prints is shown prefixed with [NAME]. When one stops, for whatever reason, only that one is
started again: after 1 second, then 2, 4, ... up to 30 seconds while it keeps stopping, and from 1 second again
once it has run for a minute. Nothing is ever deleted. Ctrl-C (SIGINT) or SIGTERM stops every process (SIGTERM,
then SIGKILL after 10 seconds) and then the supervisor. Used by `make stack` (make/stack.sh).
"""

import os
import shlex
import signal
import subprocess
import sys
import threading
import time

FIRST_WAIT = float(os.environ.get("SUPERVISE_FIRST_WAIT", "1"))
LONGEST_WAIT = float(os.environ.get("SUPERVISE_LONGEST_WAIT", "30"))
#: A process that ran at least this long before stopping starts again after FIRST_WAIT.
STEADY_SECONDS = 60.0
GRACE_SECONDS = 10.0

stopping = threading.Event()
print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    with print_lock:
        sys.stdout.write(f"[{name}] {line}\n")
        sys.stdout.flush()


class Supervised:
    def __init__(self, name: str, command: list[str]) -> None:
        self.name, self.command = name, command
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> subprocess.Popen:
        # A session of its own: Ctrl-C reaches the supervisor only, which then stops each process in order.
        process = subprocess.Popen(  # noqa: S603 - the commands are the operator's own arguments
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
            errors="replace",
        )
        with self.lock:
            self.process = process
        say("supervise", f"started {self.name} (pid {process.pid})")
        if stopping.is_set():  # Ctrl-C came while it was starting
            self.stop()
        return process

    def run(self) -> None:
        wait = FIRST_WAIT
        while not stopping.is_set():
            started = time.monotonic()
            try:
                process = self.start()
            except OSError as exc:
                say("supervise", f"{self.name} could not start: {exc}")
            else:
                for line in process.stdout:
                    say(self.name, line.rstrip("\n"))
                code = process.wait()
                if stopping.is_set():
                    return
                say("supervise", f"{self.name} stopped (exit {code})")
            if time.monotonic() - started >= STEADY_SECONDS:
                wait = FIRST_WAIT
            say("supervise", f"starting {self.name} again in {wait:g}s")
            if stopping.wait(wait):
                return
            wait = min(wait * 2, LONGEST_WAIT)

    def stop(self) -> None:
        with self.lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def parse(arguments: list[str]) -> list[Supervised]:
    supervised = []
    for argument in arguments:
        name, sep, command = argument.partition("=")
        if not sep or not name or not command.strip():
            raise SystemExit(f"supervise: expected NAME='COMMAND ...', got {argument!r}")
        supervised.append(Supervised(name, shlex.split(command)))
    return supervised


def main(arguments: list[str]) -> int:
    supervised = parse(arguments)
    if not supervised:
        raise SystemExit(__doc__)

    def on_signal(signum, frame) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    threads = [threading.Thread(target=item.run, name=item.name, daemon=True) for item in supervised]
    for thread in threads:
        thread.start()
    while not stopping.wait(0.5):
        pass
    say("supervise", "stopping " + ", ".join(item.name for item in supervised))
    for item in reversed(supervised):
        item.stop()
    for thread in threads:
        thread.join(timeout=GRACE_SECONDS)
    say("supervise", "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
