"""A small Prometheus text-format registry (counters, histograms, gauges read at scrape time).

Labels never carry personal data: no user ids, texts or phone numbers.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self.values: dict[tuple[tuple[str, str], ...], float] = defaultdict(float)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self.values[tuple(sorted(labels.items()))] += amount

    def value(self, **labels: str) -> float:
        return self.values.get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, v in sorted(self.values.items()):
            yield f"{self.name}{_fmt(labels)} {v:g}"


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, seconds)] += 1
        self.sum += seconds

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        running = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            yield f'{self.name}_bucket{{le="{bound:g}"}} {running}'
        running += self.counts[-1]
        yield f'{self.name}_bucket{{le="+Inf"}} {running}'
        yield f"{self.name}_sum {self.sum:g}"
        yield f"{self.name}_count {running}"


def _fmt(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{str(v).replace(chr(34), "")}"' for k, v in labels)
    return "{" + inner + "}"


class Metrics:
    def __init__(self) -> None:
        self.events_received = Counter("motcua_webhook_events_total", "Webhook events accepted, by result")
        self.events_rejected = Counter("motcua_webhook_rejected_total", "Webhook requests rejected, by reason")
        self.events_processed = Counter("motcua_events_processed_total", "Inbox events processed, by status")
        self.processing_latency = Histogram(
            "motcua_event_processing_seconds", "Time from webhook receipt to the event's flow step committed")
        self.outbox = Counter("motcua_outbox_messages_total", "Outbox messages finished, by outcome and reason")
        self.token_refreshes = Counter("motcua_token_refreshes_total", "Zalo token refreshes, by outcome")
        self.bodies_cut = Counter("motcua_request_bodies_cut_total",
                                  "Requests cut off because their body did not arrive in time, by route")

    def render(self, gauges: dict[str, float], state: dict[str, float] | None = None) -> str:
        """`gauges`: queue depths (motcua_queue_<name>); `state`: other gauges, by their full name."""
        lines: list[str] = []
        for metric in (self.events_received, self.events_rejected, self.events_processed,
                       self.processing_latency, self.outbox, self.token_refreshes, self.bodies_cut):
            lines.extend(metric.render())
        for name, value in sorted(gauges.items()):
            lines += [f"# TYPE motcua_queue_{name} gauge", f"motcua_queue_{name} {value:g}"]
        for name, value in sorted((state or {}).items()):
            lines += [f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"
