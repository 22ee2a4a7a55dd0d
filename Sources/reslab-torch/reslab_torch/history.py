"""A run's story so far, for a front end that connects after it began
(`serve --listen`, when the one before went away), as `reslab serve` keeps
it (Sources/RunProtocol/RunHistory.swift): the snapshots that carried an
evaluation, the newest snapshot, and its events. Replayed in order, they
give a new screen its curves, at the resolution of the evaluations, and its
whole event log."""

EVALUATION_LIMIT = 2000
EVENT_LIMIT = 1000


class RunHistory:
    def __init__(self):
        self.evaluations, self.latest, self.events = [], None, []

    def record(self, snapshot):
        seen = self.events[-1]["id"] if self.events else 0
        self.events += [event for event in snapshot["events"] if event["id"] > seen]
        del self.events[:-EVENT_LIMIT]
        kept = dict(snapshot, events=[])
        self.latest = kept
        previous = self.evaluations[-1] if self.evaluations else None
        if snapshot["evaluated_at_step"] != snapshot["step"] or (
                previous is not None and previous["step"] == snapshot["step"] and previous["state"] == snapshot["state"]):
            return
        self.evaluations.append(kept)
        if len(self.evaluations) > EVALUATION_LIMIT:
            half = len(self.evaluations) // 2
            self.evaluations = self.evaluations[:half:2] + self.evaluations[half:]

    def replay(self):
        """The evaluations, then the newest snapshot with every kept event."""
        if self.latest is None:
            return []
        return self.evaluations + [dict(self.latest, events=list(self.events))]
