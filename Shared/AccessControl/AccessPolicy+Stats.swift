import BackofficeAPI

extension AccessPolicy {
    /// The stats service (stats.proto).
    static let stats: [MethodRule] = [
        MethodRule(Stats.IngestService.ingestBatch, .permission(.statsIngest), readOnly: false),
        MethodRule(Stats.IngestService.ingestStream, .permission(.statsIngest), readOnly: false),
        MethodRule(Stats.StatsService.getSummary, .permission(.statsRead), readOnly: true),
        MethodRule(Stats.StatsService.getSeries, .permission(.statsRead), readOnly: true),
        MethodRule(Stats.StatsService.getTop, .permission(.statsRead), readOnly: true),
        MethodRule(Stats.StatsService.watchLive, .permission(.statsRead), readOnly: true),
        MethodRule(Stats.StatsService.exportEvents, .permission(.statsRead), readOnly: true),
        MethodRule(Stats.StatsService.exportSeries, .permission(.statsRead), readOnly: true),
    ]
}
