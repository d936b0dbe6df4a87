"""The end-of-run summary: what happened to each record, counted per stream, what was left behind, the calls
made to FreshBooks and the run's duration."""

from __future__ import annotations

from collections import Counter
from typing import Any

from target_freshbooks.progress import Progress, duration
from target_freshbooks.sinks.base import Outcome

COLUMNS = [outcome.value for outcome in Outcome]
CATEGORY_MEANING = {
    "timing": "timing differences: waiting on something in the source (e.g. posting); they land on a later run",
    "review": "waiting on a record held for a person (`audit --review`, then `audit --release` and `replay`)",
    "failed": "waiting on a dead-lettered record (`audit --dead-letters`, fix, then `replay`)",
    "unsupported": "kinds of records the connector does not move to FreshBooks",
    "filtered": "left out by a configured rule",
}

NO_ANSWER = "no answer"


class CallCount:
    """The FreshBooks API calls of a run, by method and by HTTP status (`no answer`: a reset or a timeout).

    Passed to the client as its `on_call` hook, which is called once per request sent, retries included.
    """

    def __init__(self) -> None:
        self.by_method: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()

    def __call__(self, method: str, path: str, status: int | None) -> None:
        self.by_method[method] += 1
        self.by_status[NO_ANSWER if status is None else str(status)] += 1

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    def as_dict(self) -> dict[str, int]:
        """`{"total": n, "GET": n, "POST": n, "200": n, "429": n, "no answer": n}` (what run_history keeps)."""
        return {"total": self.total, **dict(sorted(self.by_method.items())), **dict(sorted(self.by_status.items()))}

    def render(self) -> str:
        if not self.total:
            return "Calls to FreshBooks: none."
        methods = ", ".join(f"{method} {n}" for method, n in sorted(self.by_method.items()))
        answers = ", ".join(f"{status} x{n}" for status, n in sorted(self.by_status.items()))
        limited = self.by_status.get("429", 0)
        note = f"; {limited} rate-limited (429), each waited out as Retry-After said" if limited else ""
        return f"Calls to FreshBooks: {self.total} ({methods}); answers: {answers}{note}."


class RunSummary:
    """The final outcome of every record seen in the run (a parked record that lands later counts once)."""

    def __init__(self) -> None:
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.dead_lettered = 0
        self.skipped: Counter[tuple[str, str, str]] = Counter()  # (category, source stream, reason)
        self.waiting_on: dict[tuple[str, str], tuple[str, str]] = {}  # parked record -> (stream, why) it waits on
        self.waiting_key: dict[tuple[str, str], tuple[str, str]] = {}  # parked record -> (stream, key) it waits on
        self.progress: Progress | None = None  # told of each record the first time it gets an outcome

    def record(self, stream: str, source_key: str, outcome: Outcome) -> None:
        if self.progress is not None and (stream, source_key) not in self.outcomes:
            self.progress.advance(stream)
        self.outcomes[(stream, source_key)] = outcome
        if outcome is Outcome.FAILED:
            self.dead_lettered += 1

    def skip(self, source_stream: str, source_key: str, category: str, reason: str) -> None:
        if self.outcomes.get((source_stream, source_key)) is Outcome.SKIPPED:
            return
        self.outcomes[(source_stream, source_key)] = Outcome.SKIPPED
        self.skipped[(category, source_stream, reason)] += 1

    def parked_on(self, stream: str, source_key: str, waiting_stream: str, reason: str = "",
                  waiting_key: str = "") -> None:
        """Remember what a parked record waits on, and whether that is in review, dead-lettered or parked too."""
        state = next((s for s in ("in review", "dead-lettered", "parked") if f"which is {s}" in reason), "")
        if "held for review" in reason:
            state = "in review"
        self.waiting_on[(stream, source_key)] = (waiting_stream, state)
        if waiting_key:
            self.waiting_key[(stream, source_key)] = (waiting_stream, waiting_key)

    def _end_of_chain(self, key: tuple[str, str], state: str) -> str:
        """What a chain of parked records ends on (a bill payment waits on a bill that waits on a vendor in
        review: the payment waits on review too), as far as this run saw it."""
        seen = {key}
        while state == "parked" and (nxt := self.waiting_key.get(key)) in self.waiting_on and nxt not in seen:
            seen.add(nxt)
            key, state = nxt, self.waiting_on[nxt][1]
        return state

    def counts(self) -> dict[str, Counter[str]]:
        per_stream: dict[str, Counter[str]] = {}
        for (stream, _), outcome in self.outcomes.items():
            per_stream.setdefault(stream, Counter())[outcome.value] += 1
        return per_stream

    def left_behind(self) -> list[tuple[str, str, int, str]]:
        """(category, stream, count, reason) of every record not written, parked ones included."""
        rows = [(category, stream, count, reason) for (category, stream, reason), count in self.skipped.items()]
        parked: Counter[tuple[str, str, str, str]] = Counter()
        for key, outcome in self.outcomes.items():
            if outcome is Outcome.PARKED:
                waiting, state = self.waiting_on.get(key, ("another record", ""))
                parked[(key[0], waiting, state, self._end_of_chain(key, state))] += 1
        for (stream, waiting, state, end), count in parked.items():
            category = {"in review": "review", "dead-lettered": "failed"}.get(end, "timing")
            why = f"which are {state}" if state else "not in FreshBooks yet"
            if end != state:
                why += f", waiting in turn on records {end}"
            rows.append((category, stream, count, f"parked: waiting on {waiting} {why} (retried on every run)"))
        return sorted(rows)

    def figures(self) -> dict[str, Any]:
        """What run_history keeps of the run: records, counts per stream and outcome, left behind by reason."""
        counts = {stream: dict(counter) for stream, counter in sorted(self.counts().items())}
        behind: Counter[str] = Counter()
        for category, stream, count, reason in self.left_behind():
            behind[f"{category}: {stream}: {reason}"] += count
        return {"records": len(self.outcomes), "counts": counts, "left_behind": dict(behind)}

    def render(self, title: str, *, calls: CallCount | None = None, seconds: float | None = None) -> str:
        counts = self.counts()
        width = max([len("stream"), *(len(s) for s in counts)])
        lines = [title, "  ".join(["stream".ljust(width), *(c.rjust(9) for c in COLUMNS)])]
        for stream in sorted(counts):
            lines.append("  ".join([stream.ljust(width), *(str(counts[stream][c]).rjust(9) for c in COLUMNS)]))
        if not counts:
            lines.append("(no records)")
        behind = self.left_behind()
        if behind:
            lines.append("Left behind (not written to FreshBooks), by reason:")
            for category, stream, count, reason in behind:
                lines.append(f"  {category:<11} {stream:<{width}} {count:>7}  {reason}")
            for category in ("timing", "review", "failed", "unsupported"):
                total = sum(count for cat, _, count, _ in behind if cat == category)
                if total:
                    lines.append(f"{total} record(s) left behind as {CATEGORY_MEANING[category]}.")
        if self.dead_lettered:
            lines.append(f"{self.dead_lettered} record(s) dead-lettered in this run: see `target-freshbooks audit "
                         "--dead-letters`, fix, then `target-freshbooks replay`.")
        if calls is not None:
            lines.append(calls.render())
        if seconds is not None:
            lines.append(f"Duration: {duration(seconds)} ({len(self.outcomes)} records).")
        return "\n".join(lines)
