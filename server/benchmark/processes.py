"""CPU time and memory of the stack's processes while the load runs.

CPU seconds are read from the kernel before and after (user + system, the process and its
children); resident memory is sampled every ``interval_s`` and the highest value kept, which
is what a machine must have free at the busiest moment.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

import psutil
from pydantic import BaseModel


class ProcessUsage(BaseModel):
    cpu_s: float
    peak_rss_mb: float


def _cpu_s(process: psutil.Process) -> float:
    total = 0.0
    for p in (process, *process.children(recursive=True)):
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _rss_mb(process: psutil.Process) -> float:
    total = 0
    for p in (process, *process.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 2**20


class ProcessWatch:
    """``with ProcessWatch({"rasa": pid, ...}) as watch:`` ... ``watch.usage()``."""

    def __init__(self, pids: dict[str, int], interval_s: float = 0.25) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.interval_s = interval_s
        self._peak = {name: 0.0 for name in pids}
        self._cpu_start: dict[str, float] = {}
        self._cpu_end: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            for name, process in self.processes.items():
                self._peak[name] = max(self._peak[name], _rss_mb(process))
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> ProcessWatch:
        self._cpu_start = {n: _cpu_s(p) for n, p in self.processes.items()}
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self._stop.set()
        self._thread.join()
        self._cpu_end = {n: _cpu_s(p) for n, p in self.processes.items()}

    def usage(self) -> dict[str, ProcessUsage]:
        return {
            name: ProcessUsage(
                cpu_s=round(self._cpu_end[name] - self._cpu_start[name], 2),
                peak_rss_mb=round(self._peak[name], 1),
            )
            for name in self.processes
        }
