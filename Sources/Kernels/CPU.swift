import Foundation

/// What the kernels' choices need to know about the processor they run on.
public enum CPU {
    /// Whether 256-bit vector FMAs run as two 128-bit halves (AMD Zen 1 / Zen+: family
    /// 0x17, models below 0x30; Zen 2 and later have full-width units). There the direct
    /// 3×3 kernel, bound by FMA throughput, runs at half the width it was built for, and
    /// Winograd's 2.25× fewer multiplies win on small planes (`Conv2dKernel.prefersWinograd`).
    /// Read once from /proc/cpuinfo; false when it cannot be read.
    public static let splitsWideVectors: Bool = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return splitsWideVectors(cpuinfo: text)
    }()

    /// `splitsWideVectors` for the text of a /proc/cpuinfo (its first processor).
    static func splitsWideVectors(cpuinfo text: String) -> Bool {
        var vendor = "", family = -1, model = -1
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }   // the first processor's block ends
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "vendor_id": vendor = parts[1]
            case "cpu family": family = Int(parts[1]) ?? -1
            case "model": model = Int(parts[1]) ?? -1
            default: break
            }
        }
        return vendor == "AuthenticAMD" && family == 0x17 && model >= 0 && model < 0x30
    }
}
