"""`make stack`'s supervisor (scripts/supervise.py): the one process that stops is started again, nothing else is
touched, nothing is deleted, and only Ctrl-C stops everything (issue 13, item 3)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fixtures_services import ROOT, wait_until

# Each start leaves a file named after its pid, and then waits to be stopped.
PROCESS = (
    "import os, sys, time; open(os.path.join(sys.argv[1], f'{sys.argv[2]}-{os.getpid()}'), 'w').close();"
    " time.sleep(600)"
)


def starts(folder: Path, name: str) -> list[int]:
    return sorted(int(path.name.split("-")[1]) for path in folder.glob(f"{name}-*"))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def test_the_process_that_dies_is_restarted_alone_and_ctrl_c_stops_them_all(tmp_path):
    commands = [f'{name}={sys.executable} -c "{PROCESS}" {tmp_path} {name}' for name in ("worker", "web")]
    env = {**os.environ, "SUPERVISE_FIRST_WAIT": "0.2", "SUPERVISE_LONGEST_WAIT": "1"}
    supervisor = subprocess.Popen(
        [sys.executable, "scripts/supervise.py", *commands],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: starts(tmp_path, "worker") and starts(tmp_path, "web"), message="both processes to start")
        (worker,), (web,) = starts(tmp_path, "worker"), starts(tmp_path, "web")
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: len(starts(tmp_path, "worker")) == 2, message="the killed worker to be started again")
        assert starts(tmp_path, "web") == [web] and alive(web)
        (restarted,) = set(starts(tmp_path, "worker")) - {worker}
        os.kill(restarted, signal.SIGKILL)
        wait_until(lambda: len(starts(tmp_path, "worker")) == 3, message="a second restart")
        assert supervisor.poll() is None

        supervisor.send_signal(signal.SIGINT)
        output, _ = supervisor.communicate(timeout=30)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    assert supervisor.returncode == 0
    everything = starts(tmp_path, "worker") + starts(tmp_path, "web")
    wait_until(lambda: not any(alive(pid) for pid in everything), timeout=15, message="every process to stop")
    assert len(everything) == 4  # nothing deleted: each start's file is still there
    assert "worker stopped (exit -9)" in output and "starting worker again in 0.2s" in output
    assert "starting worker again in 0.4s" in output  # a process that keeps stopping waits longer each time
    assert "web stopped" not in output
