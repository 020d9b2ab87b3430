import Foundation

/// Which processor the kernels run on, for benchmark records: `lscpu`'s model name alone
/// ("AMD EPYC") does not tell a Zen 1 from a Zen 3, and the kernels' measured choices
/// differ between them.
public enum CPU {
    /// "vendor family F model M (model name)" of the first processor in /proc/cpuinfo,
    /// e.g. "AuthenticAMD family 25 model 1 (AMD EPYC)"; nil when it cannot be read.
    public static let identity: String? = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return identity(cpuinfo: text)
    }()

    /// `identity` for the text of a /proc/cpuinfo (its first processor's block).
    static func identity(cpuinfo text: String) -> String? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }   // the first processor's block ends
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        guard let vendor = fields["vendor_id"], let family = fields["cpu family"], let model = fields["model"] else { return nil }
        return "\(vendor) family \(family) model \(model)" + (fields["model name"].map { " (\($0))" } ?? "")
    }
}
