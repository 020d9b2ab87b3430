import Text

/// `outputs.json`: a run record as JSON and back. Reading checks every field's type and
/// names the path of the first wrong one (`cells.3.status`).
extension RunRecord {
    /// The record as a JSON document (image SVGs are not included: they live in files).
    public var json: JSON {
        .object([("atol", .double(absoluteTolerance))] + (blas.map { [("blas", JSON.string($0))] } ?? []) + [
            ("cells", .array(cells.map(\.json))),
            ("format", .string(format)),
            ("notebook", .string(notebook)),
            ("parameters", .array(parameters.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })),
            ("seed", .int(seed)),
        ] + (threads.map { [("threads", JSON.int($0))] } ?? []) + [
            ("tolerance", .double(tolerance)),
            ("version", .int(version)),
        ])
    }

    /// Reads a record from `outputs.json`'s document.
    public init(json: JSON) throws {
        let r = try RecordFields(json, path: "")
        self.init(notebook: try r.string("notebook"), seed: try r.int("seed"), tolerance: try r.double("tolerance"),
                  absoluteTolerance: try r.double("atol"),
                  parameters: try r.array("parameters").map { p in
                      ParameterOverride(name: try p.string("name"), value: try p.string("value"))
                  },
                  cells: try r.array("cells").map(CellRecord.init(fields:)))
        format = try r.string("format")
        version = try r.int("version")
        blas = try r.optionalString("blas")
        threads = try r.optionalInt("threads")
        if let n = threads, !(1...256).contains(n) {
            throw RecordFields.Failure(description: "at threads: expected a thread count from 1 to 256, found \(n)")
        }
    }
}

extension CellRecord {
    var json: JSON {
        var f: [(String, JSON)] = [("index", .int(index)), ("kind", .string(kind.rawValue)), ("line", .int(line)),
                                   ("outputs", .array(outputs.map(\.json))), ("source_hash", .string(sourceHash)),
                                   ("status", .string(status.rawValue)), ("tags", .array(tags.map { .string($0) }))]
        if let title { f.append(("title", .string(title))) }
        return .object(f)
    }

    init(fields r: RecordFields) throws {
        self.init(index: try r.int("index"), kind: try r.raw("kind"), line: try r.int("line"), title: try r.optionalString("title"),
                  tags: try r.strings("tags"), status: try r.raw("status"), seconds: nil,
                  sourceHash: try r.string("source_hash"), outputs: try r.array("outputs").map(CellOutput.init(fields:)))
    }
}

extension CellOutput {
    var json: JSON {
        var f: [(String, JSON)] = []
        if let file { f.append(("file", .string(file))) }
        f.append(("kind", .string(kind.rawValue)))
        if let markdown { f.append(("markdown", .string(markdown))) }
        if let savedAs { f.append(("saved_as", .string(savedAs))) }
        f.append(("text", .string(text)))
        return .object(f)
    }

    init(fields r: RecordFields) throws {
        self.init(kind: try r.raw("kind"), text: try r.string("text"), markdown: try r.optionalString("markdown"),
                  savedAs: try r.optionalString("saved_as"))
        file = try r.optionalString("file")
    }
}

/// The fields of one JSON object of a record, read with errors that name their path.
struct RecordFields {
    let fields: [(String, JSON)]
    let path: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(_ v: JSON, path: String) throws {
        guard let o = v.object else { throw Failure(description: (path.isEmpty ? "" : "at \(path): ") + "expected an object, found \(v.typeName)") }
        fields = o
        self.path = path
    }

    func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func value(_ key: String) throws -> JSON {
        guard let v = fields.first(where: { $0.0 == key })?.1 else { throw Failure(description: "missing field '\(at(key))'") }
        return v
    }

    func wrong(_ key: String, _ expected: String, _ v: JSON) -> Failure {
        Failure(description: "at \(at(key)): expected \(expected), found \(v.typeName)")
    }

    func string(_ key: String) throws -> String {
        let v = try value(key)
        guard let s = v.string else { throw wrong(key, "a string", v) }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = fields.first(where: { $0.0 == key })?.1, !v.isNull else { return nil }
        guard let s = v.string else { throw wrong(key, "a string", v) }
        return s
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = fields.first(where: { $0.0 == key })?.1, !v.isNull else { return nil }
        guard let i = v.int else { throw wrong(key, "an integer", v) }
        return i
    }

    func int(_ key: String) throws -> Int {
        let v = try value(key)
        guard let i = v.int else { throw wrong(key, "an integer", v) }
        return i
    }

    func double(_ key: String) throws -> Double {
        let v = try value(key)
        guard let d = v.double else { throw wrong(key, "a number", v) }
        return d
    }

    func raw<T: RawRepresentable>(_ key: String) throws -> T where T.RawValue == String {
        let s = try string(key)
        guard let t = T(rawValue: s) else { throw Failure(description: "at \(at(key)): unknown value \(JSON.quote(s))") }
        return t
    }

    func strings(_ key: String) throws -> [String] {
        let v = try value(key)
        guard let a = v.array else { throw wrong(key, "an array", v) }
        return try a.enumerated().map { k, item in
            guard let s = item.string else { throw wrong("\(key).\(k + 1)", "a string", item) }
            return s
        }
    }

    /// The objects of an array field (numbered from 1 in messages).
    func array(_ key: String) throws -> [RecordFields] {
        let v = try value(key)
        guard let a = v.array else { throw wrong(key, "an array", v) }
        return try a.enumerated().map { k, item in
            return try RecordFields(item, path: at("\(key).\(k + 1)"))
        }
    }
}
