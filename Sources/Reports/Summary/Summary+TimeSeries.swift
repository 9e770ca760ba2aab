import Firewall
import Packets

extension Summary {
    /// Verdicts per time bucket and the tracking table's peak occupancy in each, for the timeline
    /// chart. Buckets start at one second and double in width whenever there would be more than
    /// `maximumBuckets`: memory stays bounded whatever the capture's length.
    public struct TimeSeries: Sendable {
        public static let maximumBuckets = 1024
        public var start: Int64?
        /// Bucket width in nanoseconds.
        public var width: Int64 = 1_000_000_000
        /// Per bucket: counts per verdict (Verdict.rawValue order), then peak live entries.
        public var buckets: [[Int]] {
            get { stride(from: 0, to: cells.count, by: 6).map { Array(cells[$0..<$0 + 6]) } }
            set {
                cells = newValue.flatMap { $0 }
                bucketEnd = .min
            }
        }
        /// The same, six numbers a bucket in one array (no array per bucket to look through per frame).
        private var cells: [Int] = []
        /// The current bucket and its time range: frames within it need no division.
        private var bucketIndex = 0
        private var bucketStart: Int64 = .max
        private var bucketEnd: Int64 = .min

        mutating func add(_ verdict: Verdict, at time: Int64, liveEntries: Int) {
            let start: Int64
            if let s = self.start { start = s } else { start = time; self.start = time }
            var index: Int
            if time >= bucketStart && time < bucketEnd {
                index = bucketIndex
            } else {
                index = Int((time &- start) / width)
                if index < 0 { index = 0 }
                while index >= TimeSeries.maximumBuckets {
                    // Merge neighbouring buckets: twice the width, half the count.
                    var merged: [Int] = []
                    merged.reserveCapacity(cells.count / 2 + 6)
                    var i = 0
                    while i < cells.count {
                        var a = Array(cells[i..<i + 6])
                        if i + 6 < cells.count {
                            for k in 0..<5 { a[k] += cells[i + 6 + k] }
                            a[5] = max(a[5], cells[i + 11])
                        }
                        merged += a
                        i += 12
                    }
                    cells = merged
                    width *= 2
                    index = Int((time &- start) / width)
                }
                while cells.count <= index * 6 + 5 { cells += [0, 0, 0, 0, 0, 0] }
                bucketIndex = index
                let (offset, o1) = Int64(index).multipliedReportingOverflow(by: width)
                let (first, o2) = start.addingReportingOverflow(offset)
                let (end, o3) = first.addingReportingOverflow(width)
                if o1 || o2 || o3 {
                    (bucketStart, bucketEnd) = (.max, .min)
                } else {
                    (bucketStart, bucketEnd) = (first, end)
                }
            }
            let base = index * 6
            cells[base + Int(verdict.rawValue)] += 1
            if liveEntries > cells[base + 5] { cells[base + 5] = liveEntries }
        }
    }
}
