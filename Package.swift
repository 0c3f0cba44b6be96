// swift-tools-version:6.1
// The back office suite: services speaking length-prefixed protobuf over TCP behind a gateway.
// No package dependencies: the toolchain plus Debian's libprotobuf-c, sqlite3 and libsodium.
import PackageDescription

/// Settings every Swift target shares: Swift 6 mode with strict concurrency is the package default.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "backoffice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "backoffice-echo", targets: ["backoffice-echo"]),
        .executable(name: "backoffice-bench", targets: ["backoffice-bench"]),
        .executable(name: "backoffice-security", targets: ["backoffice-security"]),
        .executable(name: "backoffice-users", targets: ["backoffice-users"]),
        .executable(name: "backoffice-content", targets: ["backoffice-content"]),
        .executable(name: "backoffice-orders", targets: ["backoffice-orders"]),
        .executable(name: "backoffice-stats", targets: ["backoffice-stats"]),
        .executable(name: "backoffice-gateway", targets: ["backoffice-gateway"]),
        .executable(name: "backoffice", targets: ["backoffice"]),
    ],
    targets: [
        // MARK: C libraries from Debian
        .systemLibrary(
            name: "CProtobufC", path: "Shared/CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(
            name: "CSQLite", path: "Shared/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSystem", path: "Shared/CSystem"),
        .systemLibrary(
            name: "CSodium", path: "Shared/CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),

        // MARK: Protobuf: protoc-c output, the Swift runtime over it, generated Swift
        .target(name: "GeneratedProtoC", dependencies: ["CProtobufC"], path: "Shared/GeneratedProtoC"),
        .target(
            name: "ProtoRuntime", dependencies: ["CProtobufC"], path: "Shared/ProtoRuntime",
            swiftSettings: swiftSettings),
        .target(
            name: "RPC", dependencies: ["ProtoRuntime", "GeneratedProtoC", "CProtobufC", "CSystem"], path: "Shared/RPC",
            swiftSettings: swiftSettings),
        .target(
            name: "BackofficeAPI", dependencies: ["RPC", "ProtoRuntime", "GeneratedProtoC", "CProtobufC"],
            path: "Shared/BackofficeAPI", swiftSettings: swiftSettings),

        // MARK: Shared layers
        .target(name: "Processes", dependencies: ["CSystem"], path: "Shared/Processes", swiftSettings: swiftSettings),
        .target(
            name: "ProtoJSON", dependencies: ["CProtobufC", "ProtoRuntime"], path: "Shared/ProtoJSON",
            swiftSettings: swiftSettings),
        .target(name: "Storage", dependencies: ["CSQLite"], path: "Shared/Storage", swiftSettings: swiftSettings),
        .target(name: "Crypto", dependencies: ["CSodium"], path: "Shared/Crypto", swiftSettings: swiftSettings),
        .target(
            name: "AccessControl", dependencies: ["RPC", "BackofficeAPI"], path: "Shared/AccessControl",
            swiftSettings: swiftSettings),
        .target(
            name: "ServiceRuntime", dependencies: ["RPC", "BackofficeAPI", "Crypto", "AccessControl", "ProtoRuntime"],
            path: "Shared/ServiceRuntime", swiftSettings: swiftSettings),

        // MARK: Services (one folder each: Library = logic, Executable = wiring)
        .target(
            name: "EchoService", dependencies: ["RPC", "BackofficeAPI", "ServiceRuntime"],
            path: "Services/Echo/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice-echo", dependencies: ["EchoService", "ServiceRuntime"],
            path: "Services/Echo/Executable", swiftSettings: swiftSettings),

        .target(
            name: "SecurityService",
            dependencies: ["RPC", "BackofficeAPI", "ServiceRuntime", "Storage", "Crypto", "AccessControl"],
            path: "Services/Security/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice-security", dependencies: ["SecurityService", "ServiceRuntime"],
            path: "Services/Security/Executable", swiftSettings: swiftSettings),

        .target(
            name: "UsersService",
            dependencies: ["RPC", "BackofficeAPI", "ServiceRuntime", "Storage", "Crypto", "AccessControl"],
            path: "Services/Users/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice-users", dependencies: ["UsersService", "ServiceRuntime"],
            path: "Services/Users/Executable", swiftSettings: swiftSettings),

        .target(
            name: "ContentService",
            dependencies: ["RPC", "BackofficeAPI", "ServiceRuntime", "Storage", "Crypto", "AccessControl", "CSodium", "ProtoRuntime"],
            path: "Services/Content/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice-content", dependencies: ["ContentService", "ServiceRuntime"],
            path: "Services/Content/Executable", swiftSettings: swiftSettings),

        .target(
            name: "OrdersService",
            dependencies: ["RPC", "BackofficeAPI", "ServiceRuntime", "Storage", "Crypto", "AccessControl"],
            path: "Services/Orders/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice-orders", dependencies: ["OrdersService", "ServiceRuntime"],
            path: "Services/Orders/Executable", swiftSettings: swiftSettings),

        .target(
            name: "StatsService",
            dependencies: ["RPC", "BackofficeAPI", "ServiceRuntime", "Storage", "Crypto", "AccessControl"],
            path: "Services/Stats/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice-stats", dependencies: ["StatsService", "ServiceRuntime"],
            path: "Services/Stats/Executable", swiftSettings: swiftSettings),

        .target(
            name: "Gateway",
            dependencies: ["RPC", "BackofficeAPI", "ServiceRuntime", "Storage", "Crypto", "AccessControl", "ProtoRuntime", "CProtobufC"],
            path: "Services/Gateway/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice-gateway", dependencies: ["Gateway", "ServiceRuntime"],
            path: "Services/Gateway/Executable", swiftSettings: swiftSettings),

        .target(
            name: "BackofficeCLI",
            dependencies: [
                "RPC", "BackofficeAPI", "ProtoRuntime", "ProtoJSON", "ServiceRuntime", "Crypto", "Processes", "Storage",
            ],
            path: "Services/CLI/Library", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backoffice", dependencies: ["BackofficeCLI"], path: "Services/CLI/Executable",
            swiftSettings: swiftSettings),

        // MARK: Benchmarks (never part of the test run)
        .executableTarget(
            name: "backoffice-bench",
            dependencies: ["RPC", "BackofficeAPI", "EchoService", "ServiceRuntime", "Crypto", "AccessControl"],
            path: "Benchmarks/LoadClient", swiftSettings: swiftSettings),

        // MARK: Tests
        .target(
            name: "TestSupport", dependencies: ["RPC", "BackofficeAPI", "EchoService", "ServiceRuntime", "CSystem", "Processes"],
            path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "ProtoRuntimeTests", dependencies: ["ProtoRuntime", "BackofficeAPI", "RPC", "CProtobufC"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RPCTests", dependencies: ["RPC", "BackofficeAPI", "EchoService", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BackofficeCLITests", dependencies: ["BackofficeCLI", "TestSupport", "ProtoJSON", "RPC", "BackofficeAPI"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EndToEndTests", dependencies: ["TestSupport", "RPC", "BackofficeAPI", "ProtoRuntime", "BackofficeCLI"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ProtoJSONTests", dependencies: ["ProtoJSON", "BackofficeAPI", "ProtoRuntime"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SecurityServiceTests",
            dependencies: [
                "SecurityService", "TestSupport", "Storage", "Crypto", "RPC", "BackofficeAPI", "ServiceRuntime", "AccessControl",
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AccessControlTests", dependencies: ["AccessControl", "BackofficeAPI", "RPC"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "UsersServiceTests",
            dependencies: [
                "UsersService", "TestSupport", "Storage", "Crypto", "RPC", "BackofficeAPI", "ServiceRuntime", "AccessControl",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ContentServiceTests",
            dependencies: [
                "ContentService", "TestSupport", "Storage", "Crypto", "RPC", "BackofficeAPI", "ServiceRuntime", "AccessControl",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "OrdersServiceTests",
            dependencies: [
                "OrdersService", "TestSupport", "Storage", "Crypto", "RPC", "BackofficeAPI", "ServiceRuntime", "AccessControl",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StatsServiceTests",
            dependencies: [
                "StatsService", "TestSupport", "Storage", "Crypto", "RPC", "BackofficeAPI", "ServiceRuntime", "AccessControl",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway", "TestSupport", "Storage", "Crypto", "RPC", "BackofficeAPI", "ServiceRuntime", "AccessControl"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ServiceRuntimeTests", dependencies: ["ServiceRuntime", "RPC", "BackofficeAPI", "TestSupport", "Crypto"],
            swiftSettings: swiftSettings),
    ]
)
