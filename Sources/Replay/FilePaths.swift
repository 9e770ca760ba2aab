#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Reports

/// A path on the command line and what it is: `--labels`, `the capture`, `--policy`.
public struct NamedPath {
    public var role: String
    public var path: String

    public init(_ role: String, _ path: String) {
        self.role = role
        self.path = path
    }

    /// `--labels out.jsonl`; `-` is shown by its role alone (`standard input`).
    public var shown: String { path == "-" ? role : "\(role) \(path)" }

    public init?(_ role: String, _ path: String?) {
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
public enum FilePaths {
    /// Where a path is, for comparing.
    public enum Identity: Equatable {
        /// An existing file.
        case file(device: UInt64, inode: UInt64)
        /// A file to be created: its folder and its name.
        case entry(device: UInt64, inode: UInt64, name: String)
    }

    /// `-` as an input is standard input and as an output standard output: not files for these
    /// rules, except that when the shell made them a regular file (`< capture.pcap`,
    /// `>> capture.pcap`) that file is compared too, as `cat` does: standard output, which takes the
    /// summary whatever the options, is checked last.
    public static func check(outputs: [NamedPath], inputs: [NamedPath]) throws(ReplayError) {
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
    public static func standardStream(_ fd: Int32) -> Identity? {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return .file(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// An existing file's identity (following symbolic links).
    public static func existing(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return .file(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Where writing `path` lands: the file there (a symbolic link is written through, see
    /// `OutputFile`), or the folder and name it would be created as.
    public static func outputIdentity(_ path: String) -> Identity? {
        guard let target = OutputFile.destination(of: path) else { return nil }
        if let id = existing(target) { return id }
        let slash = target.lastIndex(of: "/")
        let folder = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        guard case .file(let device, let inode)? = existing(folder) else { return nil }
        return .entry(device: device, inode: inode, name: name)
    }
}
