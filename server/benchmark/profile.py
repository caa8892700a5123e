"""Where the CPU time of each process goes under load: py-spy samples the running processes
(no restart, no code change) while a load level runs, and the stacks are summed per function.

``python -m server.benchmark.run --profile DIR`` writes, for each process, the raw collapsed
stacks (``DIR/<name>.txt``, which flamegraph tools read) and a short summary of the functions
where most samples were taken, counting a function once per sample whatever its depth.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import TracebackType

PY_SPY = Path(sys.executable).parent / "py-spy"


class Profiler:
    """``with Profiler(pids, folder, seconds):`` samples every process meanwhile."""

    def __init__(self, pids: dict[str, int], folder: Path, seconds: int) -> None:
        self.pids, self.folder, self.seconds = pids, folder, seconds
        self._running: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Profiler:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            command = [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw",
                       "--duration", str(self.seconds), "--rate", "200", "--subprocesses",
                       "--nonblocking", "--output", str(self.folder / f"{name}.txt")]  # fmt: skip
            self._running.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        for process in self._running:
            process.wait(timeout=self.seconds + 30)
        for name in self.pids:
            raw = self.folder / f"{name}.txt"
            if raw.exists():
                (self.folder / f"{name}.summary.txt").write_text(summary(raw))


def summary(raw: Path, top: int = 40) -> str:
    """The functions present in the most samples (inclusive time), with their share."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        for frame in set(stack.split(";")):
            inclusive[frame] += count
    lines = [f"{total} samples"]
    for frame, count in inclusive.most_common(top):
        lines.append(f"{100 * count / max(total, 1):5.1f}%  {frame}")
    return "\n".join(lines) + "\n"
