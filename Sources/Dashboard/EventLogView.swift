import Foundation

/// The event log panel: the newest lines at the bottom, long messages
/// wrapped, the whole history a PgUp/PgDn away.
enum EventLogView {
    /// The log as screen lines (time stamp on the first line of each event),
    /// oldest first.
    static func lines(_ events: [LoggedEvent], width: Int) -> [(stamp: String, text: String)] {
        events.flatMap { event -> [(stamp: String, text: String)] in
            let seconds = Int(max(0, min(event.time, 8_640_000)))
            let stamp = String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            let wrapped = Screen.wrap(event.message, width: max(10, width - 10))
            return wrapped.enumerated().map { ($0.offset == 0 ? stamp : "", $0.element) }
        }
    }

    static func draw(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        let inner = rect.inner
        let all = lines(model.eventLog, width: inner.width - 1)
        let scroll = min(model.eventScroll, max(0, all.count - inner.height))
        let title = scroll > 0 ? "events · \(scroll) newer below · PgDn" : "events · PgUp older"
        Screen.panel(&canvas, rect, legend: [(title, .title)])
        let end = all.count - scroll
        for (row, line) in all[max(0, end - inner.height)..<max(0, end)].enumerated() {
            canvas.put(line.stamp, x: inner.x + 1, y: inner.y + row, style: CellStyle(.dim))
            canvas.putFitted(line.text, x: inner.x + 10, y: inner.y + row, style: CellStyle(.text), limit: inner.width - 10)
        }
    }
}
