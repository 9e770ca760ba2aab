/// The link layer of a capture, from libpcap's DLT value (`pcap_datalink`).
///
///     LinkType(dlt: 1)          // .ethernet
///     LinkType(dlt: 127)        // .other(127): the reader refuses it, naming it
///
/// The corresponding libpcap list is `pcap/dlt.h`; LINKTYPE values in files are mapped to DLT
/// values by libpcap before we see them (LINKTYPE_RAW 101 arrives as DLT_RAW 12).
public enum LinkType: Hashable, Sendable {
    /// DLT_EN10MB (1): Ethernet II / 802.3, with any 802.1Q / 802.1ad tags.
    case ethernet
    /// DLT_LINUX_SLL (113): Linux "cooked" capture, 16-byte header.
    case linuxCooked
    /// DLT_LINUX_SLL2 (276): Linux cooked capture v2, 20-byte header.
    case linuxCooked2
    /// DLT_RAW (12; 14 as written by OpenBSD): raw IPv4 or IPv6, told apart by the version nibble.
    case rawIP
    /// DLT_IPV4 (228): raw IPv4 only.
    case rawIPv4
    /// DLT_IPV6 (229): raw IPv6 only.
    case rawIPv6
    /// DLT_NULL (0): BSD loopback, a 4-byte address family in the capturing host's byte order.
    case null
    /// DLT_LOOP (108): OpenBSD loopback, a 4-byte address family in network byte order.
    case loop
    /// Anything else: not decoded.
    case other(Int32)

    public init(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet
        case 113: self = .linuxCooked
        case 276: self = .linuxCooked2
        case 12, 14, 101: self = .rawIP
        case 228: self = .rawIPv4
        case 229: self = .rawIPv6
        case 0: self = .null
        case 108: self = .loop
        default: self = .other(dlt)
        }
    }

    /// The DLT value of this link type, the inverse of `init(dlt:)`: raw IP gives DLT_RAW 12 (the
    /// reader keeps a frame's exact number in `CaptureRecord.linkTypeNumber`), `.other(n)` keeps `n`.
    public var dlt: Int32 {
        switch self {
        case .ethernet: 1
        case .linuxCooked: 113
        case .linuxCooked2: 276
        case .rawIP: 12
        case .rawIPv4: 228
        case .rawIPv6: 229
        case .null: 0
        case .loop: 108
        case .other(let v): v
        }
    }

    /// Whether the decoder understands this link layer.
    public var isSupported: Bool {
        if case .other = self { return false }
        return true
    }

    /// A short name for summaries: "Ethernet", "Linux cooked (SLL2)", …
    public var name: String {
        switch self {
        case .ethernet: "Ethernet"
        case .linuxCooked: "Linux cooked (SLL)"
        case .linuxCooked2: "Linux cooked (SLL2)"
        case .rawIP: "raw IP"
        case .rawIPv4: "raw IPv4"
        case .rawIPv6: "raw IPv6"
        case .null: "BSD loopback (NULL)"
        case .loop: "OpenBSD loopback (LOOP)"
        case .other(let v): "link type \(v)"
        }
    }

    /// The link types the decoder reads, for error messages.
    public static let supportedDescription =
        "Ethernet (with 802.1Q/802.1ad tags), Linux cooked SLL and SLL2, raw IPv4/IPv6, BSD null/loopback"
}
