import Replay

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

extension FilePaths {
    /// The usage error for the first output of `command` that is the same file as an input or an
    /// earlier output.
    static func check(_ command: some FileArguments) throws(ReplayError) {
        try check(outputs: command.outputFiles, inputs: command.inputFiles)
    }
}

