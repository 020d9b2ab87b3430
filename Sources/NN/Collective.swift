import Tensor

/// A group of cooperating processes (ranks) that data-parallel training reduces over.
/// NN knows only this protocol; `Dist.Communicator` implements it over MPI, and
/// `LocalCollective` is the one-rank group (every reduction is the identity).
/// Ranks are 0-based here; the Lua `dist` module shows them 1-based.
public protocol Collective: AnyObject {
    /// This process's rank, 0 ..< size.
    var rank: Int { get }
    /// Number of ranks.
    var size: Int { get }
    /// Element-wise sum over all ranks, in place; every rank gets the result.
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Element-wise sum over all ranks, in place, in double precision.
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Overwrites `values` on every rank with rank `root`'s.
    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws
    /// Every rank's `values` (the same count on all), concatenated in rank order.
    func allgather(_ values: [Int64]) throws -> [Int64]
}

extension Collective {
    /// Sums a Swift array over all ranks.
    public func allreduceSum(_ values: [Double]) throws -> [Double] {
        var v = values
        try v.withUnsafeMutableBufferPointer { try allreduceSum($0) }
        return v
    }

    /// Whether `flag` is true on any rank (every rank gets the answer): how the ranks
    /// agree to stop together when a callback stops one of them.
    public func anyRank(_ flag: Bool) throws -> Bool {
        try allreduceSum([flag ? 1 : 0])[0] > 0
    }

    /// Every rank's string, in rank order: the lengths, then the UTF-8 bytes one per
    /// element (for error messages: a few bytes).
    public func allgather(string: String) throws -> [String] {
        let bytes = Array(string.utf8)
        let lengths = try allgather([Int64(bytes.count)]).map { Int($0) }
        let width = lengths.max() ?? 0
        guard width > 0 else { return lengths.map { _ in "" } }
        let all = try allgather(bytes.map { Int64($0) } + repeatElement(0, count: width - bytes.count))
        return lengths.enumerated().map { r, n in
            String(decoding: all[r * width ..< r * width + n].map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
        }
    }
}

/// The group of one: what a process started without mpirun is.
public final class LocalCollective: Collective {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {}
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {}
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        guard root == 0 else { throw TensorError("broadcast: root \(root + 1) out of range (1 rank)") }
    }
    public func allgather(_ values: [Int64]) throws -> [Int64] { values }
}
