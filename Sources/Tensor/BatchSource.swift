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
