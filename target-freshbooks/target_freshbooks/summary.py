"""The end-of-run summary: what happened to each record, counted per stream."""

from __future__ import annotations

from collections import Counter

from target_freshbooks.sinks.base import Outcome

COLUMNS = [outcome.value for outcome in Outcome]


class RunSummary:
    """The final outcome of every record seen in the run (a parked record that lands later counts once)."""

    def __init__(self) -> None:
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.dead_lettered = 0

    def record(self, stream: str, source_key: str, outcome: Outcome) -> None:
        self.outcomes[(stream, source_key)] = outcome
        if outcome is Outcome.FAILED:
            self.dead_lettered += 1

    def counts(self) -> dict[str, Counter[str]]:
        per_stream: dict[str, Counter[str]] = {}
        for (stream, _), outcome in self.outcomes.items():
            per_stream.setdefault(stream, Counter())[outcome.value] += 1
        return per_stream

    def render(self, title: str) -> str:
        counts = self.counts()
        width = max([len("stream"), *(len(s) for s in counts)])
        lines = [title, "  ".join(["stream".ljust(width), *(c.rjust(9) for c in COLUMNS)])]
        for stream in sorted(counts):
            lines.append("  ".join([stream.ljust(width), *(str(counts[stream][c]).rjust(9) for c in COLUMNS)]))
        if not counts:
            lines.append("(no records)")
        if self.dead_lettered:
            lines.append(f"{self.dead_lettered} record(s) dead-lettered in this run: see `target-freshbooks audit "
                         "--dead-letters`, fix, then `target-freshbooks replay`.")
        return "\n".join(lines)
