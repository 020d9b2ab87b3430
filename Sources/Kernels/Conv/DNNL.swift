import CDNNL
import Foundation
import Tensor

/// An error reported by oneDNN (a failed call, an unsupported shape), as a thrown value.
public struct DNNLError: Error, CustomStringConvertible {
    public let description: String
}

/// oneDNN's CPU engine and stream and the few wrappers the convolution path needs
/// (memory descriptors, reorders, execution). Every use runs under `locked`: one stream,
/// one primitive cache, no concurrent executions.
enum DNNL {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var context: (engine: OpaquePointer, stream: OpaquePointer)?

    /// Runs `body` with the engine and stream (created on first use), under the lock.
    static func locked<R>(_ body: (_ engine: OpaquePointer, _ stream: OpaquePointer) throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        if context == nil {
            var engine: OpaquePointer?, stream: OpaquePointer?
            try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine_create")
            try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream_create")
            context = (engine!, stream!)
        }
        return try body(context!.engine, context!.stream)
    }

    /// Throws a `DNNLError` naming `what` unless `status` is success.
    static func check(_ status: dnnl_status_t, _ what: String) throws {
        guard status == dnnl_success else {
            throw DNNLError(description: "oneDNN: \(what) failed (\(String(cString: dnnl_status2str(status))))")
        }
    }

    /// A float32 memory descriptor of `dims` in layout `tag` (`dnnl_format_tag_any`: the
    /// primitive chooses).
    static func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map(Int64.init), dnnl_f32, tag), "memory_desc_init")
        return md
    }

    /// Whether two descriptors describe the same layout.
    static func same(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// Floats a buffer of descriptor `md` takes (blocked layouts pad channels).
    static func floats(_ md: dnnl_memory_desc_t) -> Int {
        var md = md
        return (dnnl_memory_desc_get_size(&md) + 3) / 4
    }

    /// The descriptor a primitive chose for `what` (src, weights, dst or their diffs).
    static func query(_ pd: OpaquePointer, _ what: dnnl_query_t) throws -> dnnl_memory_desc_t {
        guard let md = dnnl_primitive_desc_query_md(pd, what, 0) else {
            throw DNNLError(description: "oneDNN: the primitive has no \(what) descriptor")
        }
        return md.pointee
    }

    /// The implementation a primitive descriptor chose (e.g. "jit:avx2"), for reports.
    static func implementation(_ pd: OpaquePointer) -> String {
        var s: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) == dnnl_success, let s else { return "?" }
        return String(cString: s)
    }

    /// A primitive for descriptor `pd` (which the caller still owns).
    static func primitive(_ pd: OpaquePointer) throws -> OpaquePointer {
        var p: OpaquePointer?
        try check(dnnl_primitive_create(&p, pd), "primitive_create")
        return p!
    }

    /// A reorder from layout `src` to `dst`; `accumulate` adds to the destination (dst += src).
    static func reorder(_ src: dnnl_memory_desc_t, _ dst: dnnl_memory_desc_t, engine: OpaquePointer,
                        accumulate: Bool = false) throws -> OpaquePointer {
        var s = src, d = dst, attr: OpaquePointer?, ops: OpaquePointer?, pd: OpaquePointer?
        if accumulate {
            try check(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
            try check(dnnl_post_ops_create(&ops), "post_ops_create")
            try check(dnnl_post_ops_append_sum(ops, 1), "post_ops_append_sum")
            try check(dnnl_primitive_attr_set_post_ops(attr, ops), "attr_set_post_ops")
        }
        defer {
            if let ops { dnnl_post_ops_destroy(ops) }
            if let attr { dnnl_primitive_attr_destroy(attr) }
            if let pd { dnnl_primitive_desc_destroy(pd) }
        }
        try check(dnnl_reorder_primitive_desc_create(&pd, &s, engine, &d, engine, attr), "reorder_primitive_desc_create")
        return try primitive(pd!)
    }

    /// One argument of an execution: its slot (DNNL_ARG_*), layout and buffer.
    typealias Arg = (slot: Int32, md: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)

    /// Executes `prim` on user buffers (memory objects wrap them for this call only), with
    /// oneDNN's OpenMP team sized to `Parallel.threads`, and waits for it.
    static func execute(_ prim: OpaquePointer, _ args: [Arg], engine: OpaquePointer, stream: OpaquePointer) throws {
        var mems: [dnnl_exec_arg_t] = []
        defer { for m in mems { dnnl_memory_destroy(m.memory) } }
        for a in args {
            var md = a.md, mem: OpaquePointer?
            try check(dnnl_memory_create(&mem, &md, engine, a.data), "memory_create")
            mems.append(dnnl_exec_arg_t(arg: a.slot, memory: mem))
        }
        omp_set_num_threads(Int32(max(1, Parallel.threads)))
        try check(dnnl_primitive_execute(prim, stream, Int32(mems.count), mems), "primitive_execute")
        try check(dnnl_stream_wait(stream), "stream_wait")
    }

    /// The slot of post-op `index`'s second operand (DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1).
    static func postOpSource(_ index: Int) -> Int32 {
        Int32(DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE) * Int32(index + 1) | Int32(DNNL_ARG_SRC_1)
    }
}
