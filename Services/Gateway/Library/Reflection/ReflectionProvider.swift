import AccessControl
import BackofficeAPI
import CProtobufC
import ProtoRuntime
import RPC

/// `backoffice.gateway.Reflection`: the suite's services, methods, access rules and message
/// types, read from the generated descriptors and libprotobuf-c's message descriptors.
public struct ReflectionProvider: Gateway.ReflectionHandler {
    /// Built once: the catalogue does not change while the process runs.
    public let response: Gateway.ListServicesResponse

    /// Reflection over `services`, marking those `isRouted` accepts.
    public init(
        services: [ServiceDescriptor] = ServiceCatalogue.all, policy: (String) -> MethodRule? = { AccessPolicy.entry(for: $0) },
        isRouted: (String) -> Bool
    ) {
        response = Self.describe(services: services, policy: policy, isRouted: isRouted)
    }

    /// The description built at start.
    public func listServices(_ request: Gateway.ListServicesRequest, context: ServerContext) async throws -> Gateway.ListServicesResponse {
        response
    }

    static func describe(
        services: [ServiceDescriptor], policy: (String) -> MethodRule?, isRouted: (String) -> Bool
    ) -> Gateway.ListServicesResponse {
        var collector = DescriptorCollector()
        var response = Gateway.ListServicesResponse()
        for service in services {
            var info = Gateway.ServiceInfo()
            info.name = service.name
            info.routed = GatewayService.localServices.contains(service.name) || isRouted(service.name)
            for method in service.methods {
                let entry = policy(method.fullName)
                var methodInfo = Gateway.MethodInfo()
                methodInfo.name = method.name
                methodInfo.fullName = method.fullName
                methodInfo.kind = method.kind.rawValue
                methodInfo.access = entry.map { $0.rule.description } ?? "denied"
                methodInfo.readOnly = entry?.readOnly ?? false
                methodInfo.requestType = method.requestType.protoName
                methodInfo.responseType = method.responseType.protoName
                collector.addMessage(method.requestType.protobufDescriptor)
                collector.addMessage(method.responseType.protobufDescriptor)
                info.methods.append(methodInfo)
            }
            response.services.append(info)
        }
        response.messages = collector.messages
        response.enums = collector.enums
        return response
    }
}

/// Walks message descriptors, collecting each message and enum type once.
struct DescriptorCollector {
    private(set) var messages: [Gateway.MessageInfo] = []
    private(set) var enums: [Gateway.EnumInfo] = []
    private var seen: Set<String> = []

    mutating func addMessage(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) {
        addMessage(MessageSchema(descriptor))
    }

    private mutating func addMessage(_ schema: MessageSchema) {
        guard seen.insert(schema.fullName).inserted else { return }
        var info = Gateway.MessageInfo()
        info.fullName = schema.fullName
        var nested: [MessageSchema] = []
        for field in schema.fields {
            var fieldInfo = Gateway.FieldInfo()
            fieldInfo.name = field.name
            fieldInfo.number = field.number
            fieldInfo.type = field.type.rawValue
            fieldInfo.label = field.isRepeated ? "repeated" : "optional"
            if let message = field.messageSchema {
                fieldInfo.typeName = message.fullName
                nested.append(message)
            } else if let enumSchema = field.enumSchema {
                fieldInfo.typeName = enumSchema.fullName
                addEnum(enumSchema)
            }
            info.fields.append(fieldInfo)
        }
        messages.append(info)
        for message in nested { addMessage(message) }
    }

    private mutating func addEnum(_ schema: EnumSchema) {
        guard seen.insert(schema.fullName).inserted else { return }
        var info = Gateway.EnumInfo()
        info.fullName = schema.fullName
        for value in schema.values {
            var valueInfo = Gateway.EnumValueInfo()
            valueInfo.name = value.name
            valueInfo.number = value.number
            info.values.append(valueInfo)
        }
        enums.append(info)
    }
}
