import ArgumentParser
import Capture
import PolicyFiles
import Replay
import Reports

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The root command: `sgreplay analyze …` (the default) and friends.
struct SGReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgreplay",
        abstract: "Replay a packet capture through AWS security groups, network ACLs and connection tracking.",
        discussion: """
            Answers "I removed the security group rule: why is traffic still flowing?" by labelling every \
            frame allowed-by-rule, allowed-by-tracking, dropped, lost-conntrack-exhausted or skipped.
            """,
        version: "0.1.0",
        subcommands: [Analyze.self, Explain.self, PolicyCommand.self],
        defaultSubcommand: Analyze.self)
}

/// Runs the command. Commands and the library throw; `end(with:)` alone turns an error into its
/// message and status and ends the process, once every `defer` on the way up has run (temporary
/// files are removed first).
@main
enum Main {
    static func main() {
        Interrupt.install()
        do {
            var command = try SGReplay.parseAsRoot()
            // No output may be an input or another output: checked once, for every command, before
            // anything is read or written.
            if let files = command as? any FileArguments { try FilePaths.check(files) }
            try command.run()
        } catch {
            end(with: error)
        }
    }

    /// What an error ends the run with (INTERFACE.md): every failure one line on standard error,
    /// `sgreplay: error: <message>`, and status 2; an interrupt its line and 130; help and version
    /// on standard output and 0; an `ExitCode` its status alone.
    static func outcome(of error: any Error) -> (text: String, onStandardOutput: Bool, status: Int32) {
        func failure(_ message: String) -> String {
            "sgreplay: error: " + message.split(separator: "\n").joined(separator: "; ") + "\n"
        }
        switch error {
        case let code as ExitCode:
            return ("", false, code.rawValue)
        case ReplayError.interrupted:
            return ("sgreplay: \(ReplayError(error))\n", false, 130)
        case is ReplayError, is CaptureError, is OutputError, is InputError:
            return (failure(ReplayError(error).description), false, 2)
        default:
            if SGReplay.exitCode(for: error) == .success { return (SGReplay.fullMessage(for: error) + "\n", true, 0) }
            return (failure(SGReplay.message(for: error)), false, 2)
        }
    }

    /// The only place the process ends early.
    static func end(with error: any Error) -> Never {
        let (text, onStandardOutput, status) = outcome(of: error)
        if onStandardOutput { print(text, terminator: "") } else { writeStandardError(text) }
        exit(status)
    }
}

/// Writes a line to standard error.
func warn(_ message: String) {
    writeStandardError("sgreplay: " + message + "\n")
}

func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}
