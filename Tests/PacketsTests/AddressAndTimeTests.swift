import Packets
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.0.0.5", "10.0.0.5"), ("2001:db8::1", "2001:db8::1"), ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::", "::"), ("::1", "::1"), ("fe80::", "fe80::"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"), ("::ffff:10.0.0.5", "::ffff:10.0.0.5"),
        ("fd00:ec2::254", "fd00:ec2::254"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func parsesAndFormatsRFC5952(text: String, canonical: String) {
        #expect(IPAddress(parsing: text)?.description == canonical)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "01.2.3.4x", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ":::", "g::1", "1.2.3.4:80"])
    func rejectsInvalid(text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test func ipv4AndIPv6AreDifferentEvenWithTheSameBits() {
        #expect(IPAddress(v4: 1) != IPAddress(v6High: 0, low: 1))
    }
}

@Suite struct TimestampTests {
    @Test func rfc3339KeepsNanoseconds() {
        #expect(Timestamp(seconds: 1_700_000_000, nanoseconds: 5).rfc3339 == "2023-11-14T22:13:20.000000005Z")
        #expect(Timestamp(seconds: 0).rfc3339 == "1970-01-01T00:00:00.000000000Z")
        #expect(Timestamp(seconds: 951_782_400).rfc3339 == "2000-02-29T00:00:00.000000000Z")
        #expect(Timestamp(seconds: 4_294_967_295).rfc3339 == "2106-02-07T06:28:15.000000000Z")
    }

    @Test func negativeTimesFormatBeforeTheEpoch() {
        #expect(Timestamp(nanoseconds: -1).rfc3339 == "1969-12-31T23:59:59.999999999Z")
    }

    @Test func civilDayConversionRoundTrips() {
        for days: Int64 in [-1000, -1, 0, 1, 11_016, 19_675, 50_000] {
            let (y, m, d) = Timestamp.civil(fromDays: days)
            #expect(Timestamp.days(fromCivil: y, m, d) == days)
        }
    }

    @Test func arithmetic() {
        let t = Timestamp(seconds: 10)
        #expect((t + .seconds(30)) - t == .seconds(30))
        #expect(t - .seconds(1) < t)
    }
}
