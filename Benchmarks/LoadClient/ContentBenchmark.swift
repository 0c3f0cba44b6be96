// The content benchmark: the front office's hottest read, `PublicContent/GetPublishedItem`, against
// a real backoffice-content process (Scripts/bench-content.sh starts it).
import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Synchronization

/// `backoffice-bench content ...`: seeds one published page, then keeps OUTSTANDING public reads
/// of it in flight over CONNECTIONS connections and prints a table row and a RESULT line.
enum ContentBenchmark {
    static let usage = """
          backoffice-bench content HOST PORT INTERNAL_KEY_HEX CONNECTIONS OUTSTANDING SECONDS WARMUP_SECONDS
              Publishes a page through backoffice-content at HOST:PORT (signed with the internal key), then
              keeps OUTSTANDING GetPublishedItem calls (signed as the anonymous principal, as the gateway
              forwards front-office reads) in flight and prints
              "RESULT rps=<f> p50_us=<f> p99_us=<f> p999_us=<f> calls=<n> errors=<n>".
        """

    static func run(_ arguments: [String]) async throws {
        guard arguments.count == 8, let port = Int(arguments[2]), let connections = Int(arguments[4]),
            let outstanding = Int(arguments[5]), let seconds = Double(arguments[6]), let warmup = Double(arguments[7]),
            connections > 0, outstanding > 0, seconds > 0
        else {
            FileHandle.standardError.write(Data("backoffice-bench: bad content arguments\n\(usage)\n".utf8))
            exit(2)
        }
        let signer = PrincipalSigner(key: try SecretKey(hex: arguments[3]))
        let target = SocketAddress(host: arguments[1], port: port)
        let clients = (0..<connections).map { _ in RPCClient(target: target) }
        let slug = try await seed(client: clients[0], signer: signer)

        var request = Content.GetPublishedItemRequest()
        request.slug = slug
        request.locale = "en"
        // One signature for the whole run (valid 10 minutes): the server still verifies every
        // call's MAC, and the client's CPU goes to calls rather than to signing.
        let options = CallOptions.forwarding(
            Auth.Principal.anonymous, method: Content.PublicContentService.getPublishedItem, signer: signer,
            validFor: .seconds(600))
        for client in clients {
            _ = try await Content.PublicContentClient(channel: client).getPublishedItem(request, options: options)
        }

        let fronts = clients.map { Content.PublicContentClient(channel: $0) }
        let result = try await runClosedLoop(
            clients: clients, outstanding: outstanding, seconds: seconds, warmup: warmup, expectedRate: 50_000
        ) { [request] worker, _ in
            _ = try await fronts[worker % fronts.count].getPublishedItem(request, options: options)
        }
        print("| call | connections | outstanding | requests/s | p50 (µs) | p99 (µs) | errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        print(
            String(
                format: "| PublicContent/GetPublishedItem | %d | %d | %.0f | %.0f | %.0f | %d |", connections, outstanding,
                result.callsPerSecond, result.percentileMicros(0.50), result.percentileMicros(0.99), result.errors))
        print(result.resultLine())
        for client in clients { await client.close() }
    }

    /// Creates and publishes a page with a realistic body; returns its slug.
    static func seed(client: RPCClient, signer: PrincipalSigner) async throws -> String {
        var publisher = Auth.Principal()
        publisher.subjectId = "bench-publisher"
        publisher.kind = .staff
        publisher.permissions = [Permission.contentWrite.rawValue, Permission.contentPublish.rawValue]
        let slug = "bench-\(UInt32.random(in: 0...UInt32.max))"
        var fields = Content.ItemFields()
        fields.title = "Benchmark page"
        fields.slug = slug
        fields.locale = "en"
        fields.summary = "A page the benchmark reads."
        fields.body = String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 30)
        fields.tags = ["bench"]
        var create = Content.CreateItemRequest()
        create.kind = .page
        create.fields = fields
        let item = try await Content.ItemsClient(channel: client).createItem(
            create, options: .forwarding(publisher, method: Content.ItemsService.createItem, signer: signer))
        var publish = Content.ItemActionRequest()
        publish.id = item.id
        publish.expectedVersion = item.version
        _ = try await Content.WorkflowClient(channel: client).publishItem(
            publish, options: .forwarding(publisher, method: Content.WorkflowService.publishItem, signer: signer))
        return slug
    }
}
