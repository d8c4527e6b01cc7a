import Foundation
import FTXCore
import FTXTensor

/// The sequences [b0, b1) of a micro-batch that one worker owns: rows b0·T ..< b1·T of every
/// per-row buffer (activations, scratch, token arrays) and b0·H·T.. of the per-head ones.
struct RowSlice {
    let b0: Int, b1: Int, seqLen: Int
    var batch: Int { b1 - b0 }
    var row0: Int { b0 * seqLen }
    var rows: Int { (b1 - b0) * seqLen }
}

/// How the transformer blocks of a micro-batch are split across the engine's threads.
///
/// With as many sequences as threads (or more), each thread runs whole blocks on its own sequences
/// with single-threaded BLAS (data parallel): every activation matrix is packed by OpenBLAS once
/// instead of once per thread, elementwise layers need no parallel region, and the threads never wait
/// for each other inside a pass. LoRA gradients of worker w > 0 go to its own buffer and are added to
/// the shared one in worker order, so the bytes depend on the thread count but never on scheduling.
/// Fewer sequences than threads (or a split that would leave threads idle much of the time) keep one
/// slice and split each operation across threads instead.
enum BatchWorkers {
    static func slices(batch: Int, seqLen: Int, threads: Int) -> [RowSlice] {
        let w = threads
        guard w > 1, batch >= w, batch % w == 0 || batch >= 3 * w else {
            return [RowSlice(b0: 0, b1: batch, seqLen: seqLen)]
        }
        // Contiguous, as even as possible: the first (batch % w) workers take one extra sequence.
        var out: [RowSlice] = [], start = 0
        for i in 0..<w {
            let n = batch / w + (i < batch % w ? 1 : 0)
            out.append(RowSlice(b0: start, b1: start + n, seqLen: seqLen))
            start += n
        }
        return out
    }

    /// Runs body(worker index, slice) for every slice, one thread each, inner loops serial.
    static func run(_ slices: [RowSlice], _ body: (Int, RowSlice) -> Void) {
        Threads.workers(slices.count) { w in body(w, slices[w]) }
    }
}
