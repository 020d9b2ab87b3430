import Foundation
import Text

/// One message of the Jupyter messaging protocol (v5.3): the routing identities, the
/// four JSON dictionaries and any binary buffers. On the wire it is a multipart ZeroMQ
/// message: `identities… <IDS|MSG> signature header parent_header metadata content buffers…`,
/// the signature being the HMAC of the four dictionaries' bytes as sent.
public struct Message {
    public var identities: [[UInt8]] = []
    public var header: JSON
    public var parentHeader: JSON = .object([])
    public var metadata: JSON = .object([])
    public var content: JSON
    public var buffers: [[UInt8]] = []

    public static let protocolVersion = "5.3"
    static let delimiter = Array("<IDS|MSG>".utf8)

    public init(header: JSON, content: JSON) {
        self.header = header
        self.content = content
    }

    /// The message's type (`execute_request`, …); "" when the header has none.
    public var type: String { header["msg_type"]?.string ?? "" }

    /// A header for a new message of `type` in `session`.
    public static func header(_ type: String, session: String) -> JSON {
        .object([("msg_id", .string(UUID().uuidString.lowercased())), ("session", .string(session)),
                 ("username", .string("topiary")), ("date", .string(isoNow())), ("msg_type", .string(type)),
                 ("version", .string(protocolVersion))])
    }

    /// The current time as ISO 8601 in UTC with microseconds (`2026-11-30T12:00:00.123456Z`).
    static func isoNow() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = tm()
        var secs = tv.tv_sec
        gmtime_r(&secs, &t)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(width - s.count, 0)) + s
        }
        return "\(pad(Int(t.tm_year) + 1900, 4))-\(pad(Int(t.tm_mon) + 1, 2))-\(pad(Int(t.tm_mday), 2))T"
            + "\(pad(Int(t.tm_hour), 2)):\(pad(Int(t.tm_min), 2)):\(pad(Int(t.tm_sec), 2)).\(pad(Int(tv.tv_usec), 6))Z"
    }

    // MARK: Wire format

    /// Why a received multipart message was dropped.
    public enum DecodeError: Error, CustomStringConvertible, Equatable {
        case noDelimiter
        case tooFewFrames(Int)
        case badSignature
        case badJSON(String, String)
        case notAnObject(String)
        case noMessageType

        public var description: String {
            switch self {
            case .noDelimiter: "no <IDS|MSG> delimiter"
            case .tooFewFrames(let n): "\(n) frame\(n == 1 ? "" : "s") after the delimiter (at least 5 expected)"
            case .badSignature: "wrong signature (HMAC-SHA256 with the connection file's key)"
            case .badJSON(let part, let why): "\(part) is not JSON: \(why)"
            case .notAnObject(let part): "\(part) is not a JSON object"
            case .noMessageType: "the header has no msg_type"
            }
        }
    }

    /// Parses and checks a received multipart message. With an empty key (authentication
    /// off, as the protocol allows) the signature is not checked.
    public static func decode(_ frames: [[UInt8]], key: HMAC?) throws -> Message {
        guard let d = frames.firstIndex(of: delimiter) else { throw DecodeError.noDelimiter }
        let rest = Array(frames[(d + 1)...])
        guard rest.count >= 5 else { throw DecodeError.tooFewFrames(rest.count) }
        if let key {
            let expected = Array(key.hex(Array(rest[1...4])).utf8)
            guard HMAC.constantTimeEqual(expected, rest[0]) else { throw DecodeError.badSignature }
        }
        let names = ["header", "parent_header", "metadata", "content"]
        var parts: [JSON] = []
        for (k, name) in names.enumerated() {
            let value: JSON
            do { value = try JSON.parse(rest[k + 1], limits: JSON.Limits(depth: 64)) } catch {
                throw DecodeError.badJSON(name, "\(error)")
            }
            guard value.object != nil else { throw DecodeError.notAnObject(name) }
            parts.append(value)
        }
        var m = Message(header: parts[0], content: parts[3])
        guard !m.type.isEmpty else { throw DecodeError.noMessageType }
        m.identities = Array(frames[..<d])
        m.parentHeader = parts[1]
        m.metadata = parts[2]
        m.buffers = Array(rest[5...])
        return m
    }

    /// The frames to send, signed with `key` (an empty signature without one).
    public func encode(key: HMAC?) -> [[UInt8]] {
        let parts = [header, parentHeader, metadata, content].map { Array($0.text.utf8) }
        let signature = key.map { Array($0.hex(parts).utf8) } ?? []
        return identities + [Message.delimiter, signature] + parts + buffers
    }

    /// A message of `type` answering (or published on behalf of) `parent`.
    public static func reply(to parent: Message, _ type: String, session: String, content: JSON) -> Message {
        var m = Message(header: header(type, session: session), content: content)
        m.parentHeader = parent.header
        m.identities = parent.identities
        return m
    }
}
