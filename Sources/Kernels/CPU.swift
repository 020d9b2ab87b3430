import Foundation
import CAVX512

/// Which processor the kernels run on, for benchmark records: `lscpu`'s model name alone
/// ("AMD EPYC") does not tell a Zen 1 from a Zen 3, and the kernels' measured choices
/// differ between them.
public enum CPU {
    /// Whether the CPU and the OS support AVX-512F (CPUID and XCR0), whatever the build's
    /// target: the kernels of the CAVX512 target carry their own.
    public static let hasAVX512 = topiary_avx512_usable() != 0

    /// Whether the kernels that have an AVX-512 version (`WinogradProducts`, Winograd's
    /// transforms — see `Conv2dKernel.wideTransforms` —, the direct convolution's tiles) use it: where the CPU has it, unless `TOPIARY_AVX512=0`. Both
    /// versions compute the same bits, so this changes speed only (tests run both). "AMD EPYC"
    /// Zen 5 (family 26 model 2, full-width 512-bit FMAs), batch 128, `topiary bench conv --ab
    /// avx512`, 4 alternating rounds, 1 | 2 threads: forward 16c32 1.24× | 1.27×, 32c16 1.42×
    /// | 1.60×, 64c8 1.55× | 1.49×, VGG 64c32 1.57× | 1.57×, 128c16 1.70× | 1.57×, stems
    /// 3→16 and 3→64 c32 1.6×; dx alike. ∂L/∂w's Winograd products by the same means (two
    /// channels' 8 lanes a 512-bit vector, to keep the bits) gained nothing (0.86–1.03×:
    /// folding the lanes, not the products, limits them) and were not kept.
    nonisolated(unsafe) public static var useAVX512 =
        hasAVX512 && ProcessInfo.processInfo.environment["TOPIARY_AVX512"] != "0"

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
