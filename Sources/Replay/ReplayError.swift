import Capture
import PolicyFiles
import Reports

/// Every way a replay fails, as the executable reports it: a one-line message (status 2) or an
/// interrupt (status 130, nothing written).
public enum ReplayError: Error, Sendable, CustomStringConvertible, Equatable {
    /// `sgreplay: error: <message>`.
    case failed(String)
    /// Ctrl-C: nothing was written; about how many frames were read (nil: not told).
    case interrupted(frames: Int?)

    /// Any error met on the way (a capture, an output, a policy input), as a replay failure.
    public init(_ error: any Error) {
        switch error {
        case let error as ReplayError: self = error
        case let error as CaptureError: self = .failed(error.description)
        case let error as OutputError: self = .failed(error.description)
        case let error as InputError: self = .failed(error.description)
        default: self = .failed(String(describing: error))
        }
    }

    public init(_ message: String) { self = .failed(message) }

    public var description: String {
        switch self {
        case .failed(let message): return message
        case .interrupted(let frames):
            return "interrupted" + (frames.map { " after about \($0) frames" } ?? "") + "; no output was written"
        }
    }
}
