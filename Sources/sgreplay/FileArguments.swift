#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Replay
import Reports

/// A command's files, for the one check every command gets before anything is read or written
/// (`Main.main` runs it after parsing): no output may be the same file as an input or as another
/// output.
protocol FileArguments {
    /// Every file read (captures, `--policy`, `--timeline`, …), each with how to name it.
    var inputFiles: [NamedPath] { get }
    /// Every file written (`--labels`, `--annotate`, `--report`), each named by its option.
    var outputFiles: [NamedPath] { get }
}

extension FileArguments {
    var outputFiles: [NamedPath] { [] }
}

/// A path on the command line and what it is: `--labels`, `the capture`, `--policy`.
struct NamedPath {
    var role: String
    var path: String

    init(_ role: String, _ path: String) {
        self.role = role
        self.path = path
    }

    /// `--labels out.jsonl`; `-` is shown by its role alone (`standard input`).
    var shown: String { path == "-" ? role : "\(role) \(path)" }

    init?(_ role: String, _ path: String?) {
        guard let path else { return nil }
        self.init(role, path)
    }
}

/// Outputs that would overwrite an input or each other.
///
/// Files are compared by device and inode (`stat`, following symbolic links), never by spelling:
/// `capture.pcap`, `./capture.pcap`, `sub/../capture.pcap`, a symbolic link to it and a hard link
/// to it are all the same file. An output that does not exist yet is where it would be created —
/// its folder's device and inode and its name, after following a symbolic link that dangles — so
/// two outputs spelled differently are caught too. `-` (standard input or output) is not a file.
enum FilePaths {
    /// Where a path is, for comparing.
    enum Identity: Equatable {
        /// An existing file.
        case file(device: UInt64, inode: UInt64)
        /// A file to be created: its folder and its name.
        case entry(device: UInt64, inode: UInt64, name: String)
    }

    /// The usage error for the first output that is the same file as an input or an earlier output.
    static func check(_ command: some FileArguments) throws(ReplayError) {
        try check(outputs: command.outputFiles, inputs: command.inputFiles)
    }

    /// `-` as an input is standard input and as an output standard output: not files for these
    /// rules, except that when the shell made them a regular file (`< capture.pcap`,
    /// `>> capture.pcap`) that file is compared too, as `cat` does: standard output, which takes the
    /// summary whatever the options, is checked last.
    static func check(outputs: [NamedPath], inputs: [NamedPath]) throws(ReplayError) {
        let inputIDs = inputs.map { $0.path == "-" ? standardStream(STDIN_FILENO) : existing($0.path) }
        var earlier: [(NamedPath, Identity)] = []
        for output in outputs.filter({ $0.path != "-" }) + [NamedPath("standard output", "-")] {
            let id = output.path == "-" ? standardStream(STDOUT_FILENO) : outputIdentity(output.path)
            guard let id else { continue }  // a pipe or terminal, or cannot be written: its own error later
            let advice = output.path == "-" ? "send standard output elsewhere" : "give \(output.role) another file"
            if let i = inputIDs.firstIndex(where: { $0 == id }) {
                throw ReplayError(
                    "\(output.shown): is the same file as \(inputs[i].shown); "
                        + "an input is never overwritten: nothing was written, \(advice)")
            }
            if let other = earlier.first(where: { $0.1 == id })?.0 {
                throw ReplayError(
                    "\(output.shown): is the same file as \(other.shown); nothing was written, "
                        + (output.path == "-" ? advice : "give each output its own file"))
            }
            earlier.append((output, id))
        }
    }

    /// Standard input or output, when it is a regular file.
    static func standardStream(_ fd: Int32) -> Identity? {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return .file(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// An existing file's identity (following symbolic links).
    static func existing(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return .file(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Where writing `path` lands: the file there (a symbolic link is written through, see
    /// `OutputFile`), or the folder and name it would be created as.
    static func outputIdentity(_ path: String) -> Identity? {
        guard let target = OutputFile.destination(of: path) else { return nil }
        if let id = existing(target) { return id }
        let slash = target.lastIndex(of: "/")
        let folder = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        guard case .file(let device, let inode)? = existing(folder) else { return nil }
        return .entry(device: device, inode: inode, name: name)
    }
}
