import CMPI

extension Communicator {
    /// Rank `root`'s bytes on every rank, whatever the others pass (their `bytes` are
    /// ignored): the length first, then the bytes. How rank 1 shares a file only it can
    /// read (`train.fit`'s checkpoint on a node-local path).
    public func broadcast(bytes: [UInt8], root: Int) throws -> [UInt8] {
        try checkRoot(root)
        guard usesMPI else { return bytes }
        var n = [Int64(rank == root ? bytes.count : 0)]
        try n.withUnsafeMutableBytes { try broadcast($0.baseAddress!, count: 1, elementSize: 8, type: cmpi_int64(), root: root) }
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(n[0]))
        guard !out.isEmpty else { return out }
        try out.withUnsafeMutableBytes { try broadcast($0.baseAddress!, count: $0.count, elementSize: 1, type: cmpi_byte(), root: root) }
        return out
    }
}
