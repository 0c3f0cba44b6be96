import BackofficeAPI

extension AccessPolicy {
    /// The stats service (stats.proto).
    static let stats: [MethodRule] = [
        MethodRule(Stats.IngestService.ingestBatch, .permission(.statsIngest), readOnly: false),
        MethodRule(Stats.IngestService.ingestStream, .permission(.statsIngest), readOnly: false),
    ]
}
