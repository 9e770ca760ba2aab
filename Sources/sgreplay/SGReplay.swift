import ArgumentParser
import Capture

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

/// Runs the command; every failure becomes one line on standard error and exit status 2
/// (INTERFACE.md), help and version exit 0. Only this function ends the process: commands and
/// helpers throw (`RunError`, `ExitCodeError`), so their `defer`s remove temporary files first.
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
        } catch let error as ExitCodeError {
            exit(error.code)
        } catch let error as RunError {
            fail(error.message)
        } catch {
            let code = SGReplay.exitCode(for: error)
            if code == .success {
                print(SGReplay.fullMessage(for: error))
                exit(0)
            }
            fail(SGReplay.message(for: error))
        }
    }

    /// Prints `sgreplay: error: <message>` on standard error and exits with status 2. Called only
    /// from `main`, once every `defer` has run; elsewhere, throw a `RunError`.
    private static func fail(_ message: String) -> Never {
        let line = "sgreplay: error: " + message.split(separator: "\n").joined(separator: "; ") + "\n"
        writeStandardError(line)
        exit(2)
    }
}

/// Ends the run with a given status after the message was already printed.
struct ExitCodeError: Error {
    var code: Int32
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
