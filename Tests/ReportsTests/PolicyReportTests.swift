import Firewall
import Reports
import Testing

@Test func policyReportShowsRecordsNotUnderstood() {
    let warning = PolicyWarning(
        "AuthorizeSecurityGroupIngress (eventID e-1) was not applied: it names no rule",
        at: SourceLocation(file: "trail.json", path: "Records[1]"))
    let loaded = LoadedPolicy(
        warnings: [warning], ignoredEvents: LoadedPolicy.IgnoredEvents(failed: 1, notEdits: 2, otherResources: 3, notUnderstood: 1))
    let text = PolicyReport.text(loaded)
    #expect(text.contains(
        "  ignored CloudTrail records: 1 failed (errorCode), 2 not rule edits, 3 for other groups, ACLs or interfaces; 1 not understood, so not applied (see Warnings)\n"))
    #expect(text.contains("Warnings\n  trail.json: Records[1]: AuthorizeSecurityGroupIngress (eventID e-1) was not applied: it names no rule\n"))
    let json = PolicyReport.json(loaded).serialized()
    #expect(json.contains(#""ignored_events":{"failed":1,"not_edits":2,"other_resources":3,"not_understood":1}"#))
    #expect(json.contains(#"trail.json: Records[1]: AuthorizeSecurityGroupIngress (eventID e-1) was not applied"#))
    // Only records not understood: the line is still there.
    let alone = LoadedPolicy(warnings: [warning], ignoredEvents: LoadedPolicy.IgnoredEvents(notUnderstood: 1))
    #expect(PolicyReport.text(alone).contains("; 1 not understood, so not applied (see Warnings)"))
}
