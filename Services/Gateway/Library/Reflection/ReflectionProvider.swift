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
        let name = String(cString: descriptor.pointee.name)
        guard seen.insert(name).inserted else { return }
        var info = Gateway.MessageInfo()
        info.fullName = name
        var nested: [UnsafePointer<ProtobufCMessageDescriptor>] = []
        for index in 0..<Int(descriptor.pointee.n_fields) {
            let field = descriptor.pointee.fields[index]
            var fieldInfo = Gateway.FieldInfo()
            fieldInfo.name = String(cString: field.name)
            fieldInfo.number = field.id
            fieldInfo.type = Self.typeName(field.type)
            fieldInfo.label = Self.labelName(field.label)
            if field.type == PROTOBUF_C_TYPE_MESSAGE, let raw = field.descriptor {
                let message = raw.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                fieldInfo.typeName = String(cString: message.pointee.name)
                nested.append(message)
            } else if field.type == PROTOBUF_C_TYPE_ENUM, let raw = field.descriptor {
                let enumDescriptor = raw.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
                fieldInfo.typeName = String(cString: enumDescriptor.pointee.name)
                addEnum(enumDescriptor)
            }
            info.fields.append(fieldInfo)
        }
        info.fields.sort { $0.number < $1.number }
        messages.append(info)
        for message in nested { addMessage(message) }
    }

    private mutating func addEnum(_ descriptor: UnsafePointer<ProtobufCEnumDescriptor>) {
        let name = String(cString: descriptor.pointee.name)
        guard seen.insert(name).inserted else { return }
        var info = Gateway.EnumInfo()
        info.fullName = name
        for index in 0..<Int(descriptor.pointee.n_values) {
            let value = descriptor.pointee.values[index]
            var valueInfo = Gateway.EnumValueInfo()
            valueInfo.name = String(cString: value.name)
            valueInfo.number = value.value
            info.values.append(valueInfo)
        }
        enums.append(info)
    }

    static func typeName(_ type: ProtobufCType) -> String {
        switch type {
        case PROTOBUF_C_TYPE_INT32: "int32"
        case PROTOBUF_C_TYPE_SINT32: "sint32"
        case PROTOBUF_C_TYPE_SFIXED32: "sfixed32"
        case PROTOBUF_C_TYPE_INT64: "int64"
        case PROTOBUF_C_TYPE_SINT64: "sint64"
        case PROTOBUF_C_TYPE_SFIXED64: "sfixed64"
        case PROTOBUF_C_TYPE_UINT32: "uint32"
        case PROTOBUF_C_TYPE_FIXED32: "fixed32"
        case PROTOBUF_C_TYPE_UINT64: "uint64"
        case PROTOBUF_C_TYPE_FIXED64: "fixed64"
        case PROTOBUF_C_TYPE_FLOAT: "float"
        case PROTOBUF_C_TYPE_DOUBLE: "double"
        case PROTOBUF_C_TYPE_BOOL: "bool"
        case PROTOBUF_C_TYPE_ENUM: "enum"
        case PROTOBUF_C_TYPE_STRING: "string"
        case PROTOBUF_C_TYPE_BYTES: "bytes"
        case PROTOBUF_C_TYPE_MESSAGE: "message"
        default: "unknown"
        }
    }

    static func labelName(_ label: ProtobufCLabel) -> String {
        switch label {
        case PROTOBUF_C_LABEL_REPEATED: "repeated"
        case PROTOBUF_C_LABEL_REQUIRED: "required"
        default: "optional"
        }
    }
}
