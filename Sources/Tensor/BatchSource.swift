/// A source of (input, target) batches: Data's loaders conform to it and training
/// consumes it, so neither module needs the other.
public protocol BatchSource: AnyObject {
    /// Batches in one epoch.
    var batchCount: Int { get }
    /// Samples in one epoch.
    var sampleCount: Int { get }
    /// Starts epoch `epoch` (0-based; seeds shuffling deterministically) and returns a
    /// function giving the next batch, or nil at the end of the epoch.
    func batches(epoch: Int) throws -> () throws -> (input: Tensor, target: Tensor)?
}

/// Fixed (input, target) batches held in memory, the same every epoch: calibration sets
/// built in code, one tensor passed as `calib`, and the tests' data.
public final class BatchList: BatchSource {
    public let list: [(input: Tensor, target: Tensor)]
    /// False for `unlabelled`'s batches, whose zero targets are placeholders: a loss (a
    /// gradient criterion's) must not be taken against them.
    public let labelled: Bool
    public init(_ list: [(input: Tensor, target: Tensor)], labelled: Bool = true) {
        self.list = list
        self.labelled = labelled
    }
    public var batchCount: Int { list.count }
    public var sampleCount: Int { list.reduce(0) { $0 + $1.input.shape[0] } }
    public func batches(epoch: Int) throws -> () throws -> (input: Tensor, target: Tensor)? {
        var i = 0
        return { [list] in
            guard i < list.count else { return nil }
            defer { i += 1 }
            return list[i]
        }
    }

    /// One batch of `x` with placeholder zero labels (capture or calibration from a tensor,
    /// no loader); `labelled` is false.
    public static func unlabelled(_ x: Tensor) throws -> BatchList {
        BatchList([(x, try Tensor(zeros: [x.shape.first ?? 0], dtype: .int64))], labelled: false)
    }
}
