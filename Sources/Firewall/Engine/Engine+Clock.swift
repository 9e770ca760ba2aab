import Packets

// Time: the policy clock, edits taking effect, entries expiring.
extension Engine {
    /// Starts the clock at the capture's first frame: the timeline is resolved against it (once for
    /// this engine and its rule clocks).
    mutating func start(at time: Int64) {
        clock.start(at: time)
        editTimes = clock.timeline!.times
    }

    /// Moves the clock to `time`: applies due edits in order, expires entries whose instant has come.
    @inline(__always)
    mutating func advance(to time: Int64) {
        if !clock.isStarted { start(at: time) }
        clock.move(to: time)
        if clock.mayHaveEditDue { applyDueEdits() }
        while nextReset < options.connectionResets.count, options.connectionResets[nextReset].time.nanoseconds <= now {
            expire(upTo: options.connectionResets[nextReset].time.nanoseconds)
            for flow in options.connectionResets[nextReset].flows {
                if let slot = table.find(flow) { table.remove(slot) }
                endedFlows.insert(flow)
            }
            nextReset += 1
        }
        expire(upTo: now)
    }

    /// The edits due now, one by one: entries due before each edit's instant expire under the
    /// timeouts in force until then; an edit that changes timeouts applies them to live entries.
    private mutating func applyDueEdits() {
        var batchStarted = false
        while let at = clock.dueEdit {
            expire(upTo: at)
            if !batchStarted {
                beforeEdits = compiled
                batchStarted = true
            }
            applyNextEdit(frame: currentFrame)
            if clock.state.timeouts != timeouts {
                timeouts = clock.state.timeouts
                table.rescheduleAll(timeouts)
                expire(upTo: at)
            }
        }
    }

    mutating func expire(upTo time: Int64) {
        var expired = 0
        var freedAt: Int64 = 0
        table.expire(upTo: time, timeouts) { _, due in
            expired += 1
            freedAt = due
        }
        statistics.entriesExpired += expired
        // The table stops being full at the instant its first entry expires.
        if expired > 0, let since = fullSince, let max = conntrackMax, table.count < max {
            if !exhaustionEpisodes.isEmpty, exhaustionEpisodes[exhaustionEpisodes.count - 1].start.nanoseconds == since {
                exhaustionEpisodes[exhaustionEpisodes.count - 1].end = Timestamp(nanoseconds: freedAt)
            }
            fullSince = nil
        }
    }

    /// Applies the edits left after the last frame (for the report: they are judged under by no
    /// frame, so the tracking table and timeouts stay as the last frame left them).
    public mutating func finish() {
        guard clock.isStarted else { return }
        currentFrame = 0
        while clock.hasEditLeft { applyNextEdit(frame: 0) }
        statistics.liveEntries = table.count
    }

    /// Moves onto the state after the next edit (compiled by whichever clock got there first) and
    /// records the edit with the first frame judged under it (0: none).
    private mutating func applyNextEdit(frame: Int) {
        let k = clock.editsApplied
        clock.applyNextEdit()
        let state = clock.state
        compiled = state.compiled
        registry = state.registry
        appliedEdits.append(
            AppliedEdit(
                edit: clock.timeline!.edits[k], time: Timestamp(nanoseconds: editTimes[k]), frame: frame,
                warnings: state.warnings))
    }

    /// Moves the clock to `time` (edits due apply, entries due expire) without judging anything:
    /// what `steps(for:time:)` needs to describe the state a frame is judged in.
    public mutating func advanceClock(to time: Timestamp, frame: Int) {
        currentFrame = frame
        advance(to: time.nanoseconds)
    }

    /// A frame that holds no packet (a pcapng custom block): it still moves the clock.
    public mutating func observe(frame: Int, time: Timestamp) {
        currentFrame = frame
        advance(to: time.nanoseconds)
    }
}
