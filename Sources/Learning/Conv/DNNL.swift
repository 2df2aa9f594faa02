import CDNNL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin owners of oneDNN C handles. Every call here runs while a layer is built (shapes are
// checked before), or executes a primitive made then: a failing status is a programming error.

/// Stops with the failing call's name and status.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ call: @autoclosure () -> String) {
    if status != dnnl_success { preconditionFailure("oneDNN: \(call()) failed with status \(status.rawValue)") }
}

/// The process's oneDNN CPU engine (one per process; its threads follow OMP_NUM_THREADS).
final class DNNLEngine: @unchecked Sendable {
    /// Created on first use, never destroyed.
    static let cpu = DNNLEngine()
    let handle: OpaquePointer

    private init() {
        var engine: OpaquePointer?
        dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create(cpu)")
        handle = engine!
    }
}

/// A float32 memory descriptor of `dims` (oneDNN's logical order, e.g. N, C, H, W) in layout `tag`.
func dnnlDescriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let d = dims.map { dnnl_dim_t($0) }
    dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag), "dnnl_memory_desc_init_by_tag(\(dims))")
    return md
}

/// Whether two memory descriptors describe the same layout.
func dnnlSameLayout(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    var a = a, b = b
    return dnnl_memory_desc_equal(&a, &b) != 0
}

/// Bytes a memory descriptor spans.
func dnnlBytes(_ md: dnnl_memory_desc_t) -> Int {
    var md = md
    return dnnl_memory_desc_get_size(&md)
}

/// A 64-byte aligned buffer of bytes (or floats), allocated once and zeroed.
final class AlignedBuffer {
    let raw: UnsafeMutableRawPointer
    let bytes: Int
    /// What calloc returned (`raw` is its first 64-byte boundary).
    private let allocation: UnsafeMutableRawPointer
    /// Zero-filled by calloc, like `FloatBuffer`: pages never touched (the halo gradient of a
    /// convolution that only runs forward) cost no resident memory.
    init(bytes: Int) {
        self.bytes = bytes
        guard let a = calloc(max(bytes, 64) + 63, 1) else { fatalError("AlignedBuffer: out of memory allocating \(bytes) bytes") }
        allocation = a
        raw = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: a) + 63) & ~UInt(63))!
    }
    convenience init(floats: Int) { self.init(bytes: floats * MemoryLayout<Float>.stride) }
    var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
    deinit { free(allocation) }
}

/// A memory object without its own buffer: `point(at:)` sets the data before each execution.
final class DNNLMemory {
    let handle: OpaquePointer
    let descriptor: dnnl_memory_desc_t

    init(_ md: dnnl_memory_desc_t) {
        var md = md, memory: OpaquePointer?
        dnnlCheck(dnnl_memory_create(&memory, &md, DNNLEngine.cpu.handle, cdnnl_memory_none()), "dnnl_memory_create")
        handle = memory!
        descriptor = md
    }

    /// Uses `data` as the buffer (a pointer store inside oneDNN for plain layouts: no copy).
    @inline(__always)
    func point(at data: UnsafeRawPointer) {
        dnnlCheck(dnnl_memory_set_data_handle(handle, UnsafeMutableRawPointer(mutating: data)), "dnnl_memory_set_data_handle")
    }

    deinit { dnnl_memory_destroy(handle) }
}

/// Primitive attributes with a user-managed scratchpad (so no execution allocates), an optional
/// output scale (for reorders: dst = scale · src) and optionally max(0, ·) applied to the result
/// (an eltwise ReLU post-op: the convolution's kernel clamps its accumulators before storing them).
func dnnlAttributes(outputScale: Float = 1, relu: Bool = false) -> OpaquePointer {
    var attr: OpaquePointer?
    dnnlCheck(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create")
    dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "set_scratchpad_mode(user)")
    if outputScale != 1 {
        var s = outputScale
        dnnlCheck(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &s), "set_output_scales")
    }
    if relu {
        var postOps: OpaquePointer?
        dnnlCheck(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
        defer { dnnl_post_ops_destroy(postOps) }
        dnnlCheck(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "post_ops_append_eltwise(relu)")
        dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, postOps), "set_post_ops")
    }
    return attr!
}

/// A primitive descriptor (destroyed with this owner) and the memory descriptors it chose.
final class DNNLPrimitiveDescriptor {
    let handle: OpaquePointer

    init(taking handle: OpaquePointer) { self.handle = handle }

    /// The descriptor of `what` (dnnl_query_weights_md, …) at `index`.
    func descriptor(_ what: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t {
        guard let md = dnnl_primitive_desc_query_md(handle, what, index) else {
            preconditionFailure("oneDNN: primitive descriptor has no memory descriptor \(what.rawValue)")
        }
        return md.pointee
    }

    /// Bytes of scratchpad the primitive needs.
    var scratchpadBytes: Int { dnnlBytes(descriptor(dnnl_query_scratchpad_md)) }

    deinit { dnnl_primitive_desc_destroy(handle) }
}

/// A primitive with its execution arguments fixed at creation: executing passes the same memory
/// objects every time (their data pointers are set before), so a step allocates nothing.
final class DNNLCall {
    private let primitive: OpaquePointer
    private let arguments: UnsafeMutablePointer<dnnl_exec_arg_t>
    private let count: Int
    // Keeps the memory objects alive as long as the argument list naming them.
    private let memories: [DNNLMemory]

    /// The primitive of `pd` with `args`; when it needs a scratchpad, `scratchpad` (at least
    /// `pd.scratchpadBytes` long, kept alive by the caller) is passed as DNNL_ARG_SCRATCHPAD.
    init(_ pd: DNNLPrimitiveDescriptor, _ args: [(Int32, DNNLMemory)], scratchpad: AlignedBuffer, name: String) {
        var p: OpaquePointer?
        dnnlCheck(dnnl_primitive_create(&p, pd.handle), "dnnl_primitive_create(\(name))")
        primitive = p!
        var all = args
        if pd.scratchpadBytes > 0 {
            precondition(scratchpad.bytes >= pd.scratchpadBytes, "oneDNN \(name): scratchpad too small")
            let memory = DNNLMemory(pd.descriptor(dnnl_query_scratchpad_md))
            memory.point(at: scratchpad.raw)
            all.append((Int32(CDNNL_ARG_SCRATCHPAD), memory))
        }
        count = all.count
        arguments = .allocate(capacity: max(all.count, 1))
        for (i, a) in all.enumerated() { arguments[i] = dnnl_exec_arg_t(arg: a.0, memory: a.1.handle) }
        memories = all.map(\.1)
    }

    /// Runs the primitive on `stream` and waits for it.
    @inline(__always)
    func run(on stream: DNNLStream) {
        dnnlCheck(dnnl_primitive_execute(primitive, stream.handle, Int32(count), arguments), "dnnl_primitive_execute")
        dnnlCheck(dnnl_stream_wait(stream.handle), "dnnl_stream_wait")
    }

    deinit {
        arguments.deallocate()
        dnnl_primitive_destroy(primitive)
    }
}

/// A oneDNN stream on the CPU engine (one per layer: a stream is not shared between threads).
final class DNNLStream {
    let handle: OpaquePointer
    init() {
        var s: OpaquePointer?
        dnnlCheck(dnnl_stream_create(&s, DNNLEngine.cpu.handle, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        handle = s!
    }
    deinit { dnnl_stream_destroy(handle) }
}

/// The reorder from layout `from` to layout `to`, computing dst = scale · src.
func dnnlReorderDescriptor(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, scale: Float = 1) -> DNNLPrimitiveDescriptor {
    var pd: OpaquePointer?, f = from, t = to
    let attr = dnnlAttributes(outputScale: scale)
    defer { dnnl_primitive_attr_destroy(attr) }
    let engine = DNNLEngine.cpu.handle
    dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &f, engine, &t, engine, attr), "dnnl_reorder_primitive_desc_create")
    return DNNLPrimitiveDescriptor(taking: pd!)
}

extension Conv2d {
    /// Sets the number of OpenMP threads oneDNN's convolutions use in this process.
    ///
    /// libgomp reads OMP_NUM_THREADS once, when it loads, so a job kind cannot choose by setting
    /// the variable at run time; kinds that run one rank per core call `setThreadCount(1)` when the
    /// user has not set OMP_NUM_THREADS (otherwise every rank would start one thread per core).
    public static func setThreadCount(_ threads: Int) {
        precondition(threads >= 1, "Conv2d.setThreadCount needs at least one thread, got \(threads)")
        cdnnl_set_threads(Int32(clamping: threads))
    }

    /// One oneDNN thread per rank unless the user set OMP_NUM_THREADS: what every job kind with
    /// convolutions calls before building its network.
    ///
    /// oneDNN runs on OpenMP, and without OMP_NUM_THREADS libgomp starts one thread per core in
    /// every process; Cascade runs a rank per core, so the ranks of a node would oversubscribe it
    /// many times over. libgomp reads the variable only when it loads, so setting it at run time
    /// does nothing: the count is set here instead. A user who sets OMP_NUM_THREADS (e.g. one rank
    /// per node with threads) keeps that choice.
    public static func limitThreadsUnlessUserChose() {
        if getenv("OMP_NUM_THREADS") == nil { setThreadCount(1) }
    }
}
