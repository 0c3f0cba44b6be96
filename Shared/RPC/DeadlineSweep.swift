/// The deadlines of one connection's calls behind a single loop timer. A call only records its
/// deadline: it gets no timer of its own, and there is nothing to cancel when it ends in time,
/// which is almost always. The timer is armed for the earliest deadline recorded; when it fires,
/// `sweep` ends the calls whose deadline has passed and arms it again for the earliest left.
///
/// Loop-confined, like the connection that owns it.
struct DeadlineSweep {
    /// The deadline the pending timer fires at, if one is pending.
    private var armedFor: MonotonicTime?
    private var timer: TimerID?

    /// Makes sure the timer fires by `deadline`, calling `fire` (which calls `sweep`).
    mutating func cover(_ deadline: MonotonicTime, on loop: EventLoop, fire: @escaping () -> Void) {
        if let armedFor, armedFor <= deadline { return }
        if let timer { loop.cancelTimer(timer) }
        armedFor = deadline
        timer = loop.scheduleTimer(at: deadline, fire)
    }

    /// When the timer fired: ends each call of `calls` whose `deadline` has passed with `expire`,
    /// then arms the timer for the earliest deadline left.
    mutating func sweep<Call>(
        _ calls: some Sequence<Call>, deadline: (Call) -> MonotonicTime?, expire: (Call) -> Void, on loop: EventLoop,
        fire: @escaping () -> Void
    ) {
        armedFor = nil
        timer = nil
        let now = MonotonicTime.now()
        var expired: [Call] = []
        var earliest: MonotonicTime?
        for call in calls {
            guard let due = deadline(call) else { continue }
            if due <= now {
                expired.append(call)
            } else if earliest.map({ due < $0 }) ?? true {
                earliest = due
            }
        }
        for call in expired { expire(call) }
        if let earliest { cover(earliest, on: loop, fire: fire) }
    }

    /// Stops the timer (the connection closed).
    mutating func stop(on loop: EventLoop) {
        if let timer { loop.cancelTimer(timer) }
        armedFor = nil
        timer = nil
    }
}
