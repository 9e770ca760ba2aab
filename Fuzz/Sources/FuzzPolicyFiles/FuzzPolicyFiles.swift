import Firewall
import Packets
import PolicyFiles

#if canImport(Glibc)
import Glibc
#endif

/// Input: one byte choosing how the file is given (policy or timeline, file name), then its bytes.
/// Every input must load or throw an `InputError`; nothing may trap, hang or read out of bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let names = ["scenario.yaml", "policy.json", "trail.json", "trail.json.gz", "pl-0abc.json"]
    let name = names[Int(data[0]) % names.count]
    let path = "/tmp/sgreplay-fuzz-\(getpid())-\(name)"
    guard let file = fopen(path, "wb") else { return 0 }
    fwrite(data + 1, 1, size - 1, file)
    fclose(file)
    defer { unlink(path) }
    let asTimeline = data[0] & 0x80 != 0
    do {
        let loaded = try PolicyLoader.load(
            policyFiles: asTimeline ? [] : [path], timelineFiles: asTimeline ? [path] : [], eni: nil,
            policyState: data[0] & 0x40 != 0 ? .end : .start)
        // What loaded must also compile and replay.
        var engine = Engine(policy: loaded, options: EngineOptions())
        _ = engine.judge(DecodedPacket(), frame: 1, time: Timestamp(seconds: 1_700_000_000))
        engine.finish()
    } catch {
        _ = error.description
    }
    return 0
}

// SwiftPM links an executable's entry point as `<target>_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzPolicyFiles_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
