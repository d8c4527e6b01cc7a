import Foundation

/// Temporaries of kernels that run inside parallel chunks, owned by the thread that runs the chunk
/// and reused by every later call on it. A decoded token runs hundreds of chunks; allocating their
/// temporaries each time costs more than the small kernels they serve. The engine's threads are
/// long-lived (`Threads`' worker pool, dispatch's workers, the caller), so the buffers are made
/// once and grow only when a larger one is asked for. Freed when the thread ends.
///
/// Each `Slot` is one buffer: two temporaries live at the same time on one thread need two slots.
/// A kernel reads only what it wrote, so the reuse never changes a result.
public enum ThreadScratch {
    public enum Slot: Int, CaseIterable {
        /// A matmul kernel's whole-call temporary (output staging, activation block constants).
        case matmul
        /// A temporary inside the matmul kernel's row tile (held while `.matmul` is).
        case tile
        /// Attention's scores of one (sequence, head) task.
        case attention
        /// That task's keys and values, copied contiguous (`CausalAttention.attend`).
        case attentionKV
    }

    /// `count` values of `T` (at least 64-byte aligned; contents undefined) for this thread's `slot`.
    @inline(__always)
    public static func buffer<T>(_ slot: Slot, _ count: Int, as: T.Type = T.self) -> UnsafeMutablePointer<T> {
        let s = storage()
        let bytes = max(1, count) * MemoryLayout<T>.stride
        if bytes > s.capacity[slot.rawValue] { s.grow(slot.rawValue, to: bytes) }
        return s.memory[slot.rawValue].bindMemory(to: T.self, capacity: max(1, count))
    }

    final class Storage {
        var memory: [UnsafeMutableRawPointer]
        var capacity: [Int]
        init() {
            memory = Slot.allCases.map { _ in UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64) }
            capacity = Slot.allCases.map { _ in 64 }
        }
        func grow(_ i: Int, to bytes: Int) {
            memory[i].deallocate()
            let size = max(bytes, capacity[i] * 2)   // doubling: a slowly growing need reallocates rarely
            memory[i] = .allocate(byteCount: size, alignment: 64)
            capacity[i] = size
        }
        deinit { for m in memory { m.deallocate() } }
    }

    @inline(__always)
    static func storage() -> Storage {
        if let p = pthread_getspecific(key) { return Unmanaged<Storage>.fromOpaque(p).takeUnretainedValue() }
        let s = Storage()
        pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
        return s
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { p in
            if let p { Unmanaged<Storage>.fromOpaque(p).release() }
        }
        return key
    }()
}
