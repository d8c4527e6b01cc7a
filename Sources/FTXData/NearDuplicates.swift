import FTXCore

/// Disjoint sets over example indices (path halving + union by size).
struct UnionFind {
    private var parent: [Int32]
    private var size: [Int32]
    init(_ n: Int) {
        parent = (0..<n).map { Int32($0) }
        size = [Int32](repeating: 1, count: n)
    }
    mutating func find(_ x: Int) -> Int {
        var x = x
        while Int(parent[x]) != x {
            parent[x] = parent[Int(parent[x])]
            x = Int(parent[x])
        }
        return x
    }
    @discardableResult
    mutating func union(_ a: Int, _ b: Int) -> Bool {
        var ra = find(a), rb = find(b)
        if ra == rb { return false }
        if size[ra] < size[rb] { swap(&ra, &rb) }
        parent[rb] = Int32(ra)
        size[ra] += size[rb]
        return true
    }
    /// Groups of ≥ 2 members, each sorted, ordered by their first member.
    mutating func groups() -> [[Int]] {
        var byRoot: [Int: [Int]] = [:]
        for i in 0..<parent.count where size[find(i)] > 1 { byRoot[find(i), default: []].append(i) }
        return byRoot.values.sorted { $0[0] < $1[0] }
    }
}

/// A verified similar pair.
struct SimilarPair {
    var a: Int
    var b: Int
    var jaccard: Double
}

/// Candidate pairs from LSH buckets, then exact Jaccard on re-derived shingle sets.
enum NearDuplicateSearch {
    /// `members`: indices that take part (one representative per exact-normalized group, non-empty
    /// signature). `side`: when given, only pairs with side(a) != side(b) are proposed, and each
    /// bucket pairs every member of side true with the first and the previous member of side false.
    static func candidates(bands: [[UInt32]], members: [Int], side: ((Int) -> Bool)? = nil) -> [UInt64] {
        guard !members.isEmpty else { return [] }
        let perBand: [[UInt64]] = Threads.map(bands.count, minChunk: 1) { b in
            let band = bands[b]
            var keys = [UInt64](repeating: 0, count: members.count)
            for (k, m) in members.enumerated() { keys[k] = UInt64(band[m]) << 32 | UInt64(UInt32(m)) }
            RadixSort.sortByHigh32(&keys)  // members ascend, so equal hashes stay in index order
            var pairs: [UInt64] = []
            var start = 0
            while start < keys.count {
                var end = start + 1
                while end < keys.count && keys[end] >> 32 == keys[start] >> 32 { end += 1 }
                if end - start > 1 { emit(keys[start..<end], side, &pairs) }
                start = end
            }
            return pairs
        }
        var all = perBand.flatMap { $0 }
        all.sort()
        var u = 0
        for k in 0..<all.count where u == 0 || all[u - 1] != all[k] { all[u] = all[k]; u += 1 }
        all.removeLast(all.count - u)
        return all
    }

    @inline(__always) private static func pair(_ x: Int, _ y: Int) -> UInt64 {
        let (a, b) = x < y ? (x, y) : (y, x)
        return UInt64(a) << 32 | UInt64(b)
    }

    private static func emit(_ run: ArraySlice<UInt64>, _ side: ((Int) -> Bool)?, _ pairs: inout [UInt64]) {
        let idx = run.map { Int($0 & 0xFFFF_FFFF) }
        if let side {
            let left = idx.filter { !side($0) }, right = idx.filter { side($0) }
            guard let first = left.first else { return }
            for r in right {
                pairs.append(pair(first, r))
                // The nearest preceding left member too, so one false candidate cannot hide the rest.
                if let prev = left.last(where: { $0 < r }), prev != first { pairs.append(pair(prev, r)) }
            }
            return
        }
        for k in 1..<idx.count {
            pairs.append(pair(idx[0], idx[k]))
            if k > 1 { pairs.append(pair(idx[k - 1], idx[k])) }
        }
    }

    /// Exact Jaccard for each candidate; keeps pairs ≥ threshold. `shingles(i)` re-derives a set.
    static func verify(_ candidates: [UInt64], threshold: Double, shingles: (Int) -> [UInt32]) -> [SimilarPair] {
        if candidates.isEmpty { return [] }
        var involved = candidates.flatMap { [Int($0 >> 32), Int($0 & 0xFFFF_FFFF)] }
        involved.sort()
        var u = 0
        for k in 0..<involved.count where u == 0 || involved[u - 1] != involved[k] { involved[u] = involved[k]; u += 1 }
        involved.removeLast(involved.count - u)
        let sets = Threads.map(involved.count, minChunk: 32) { shingles(involved[$0]) }
        func setOf(_ i: Int) -> [UInt32] {
            var lo = 0, hi = involved.count - 1
            while lo < hi { let mid = (lo + hi) / 2; if involved[mid] < i { lo = mid + 1 } else { hi = mid } }
            return sets[lo]
        }
        let results: [SimilarPair?] = Threads.map(candidates.count, minChunk: 256) { k in
            let a = Int(candidates[k] >> 32), b = Int(candidates[k] & 0xFFFF_FFFF)
            let j = TextNormalizer.jaccard(setOf(a), setOf(b))
            return j >= threshold ? SimilarPair(a: a, b: b, jaccard: j) : nil
        }
        return results.compactMap { $0 }
    }
}

/// LSD radix sort of UInt64 keys by their high 32 bits (stable: ties keep their input order).
enum RadixSort {
    static func sortByHigh32(_ keys: inout [UInt64]) {
        let n = keys.count
        if n < 256 { keys.sort(); return }
        var tmp = [UInt64](repeating: 0, count: n)
        keys.withUnsafeMutableBufferPointer { a in
            tmp.withUnsafeMutableBufferPointer { b in
                var src = a, dst = b
                for pass in 0..<4 {
                    let shift = UInt64(32 + 8 * pass)
                    var counts = [Int](repeating: 0, count: 256)
                    for x in src { counts[Int((x >> shift) & 0xFF)] += 1 }
                    var sum = 0
                    for d in 0..<256 { let c = counts[d]; counts[d] = sum; sum += c }
                    for x in src {
                        let d = Int((x >> shift) & 0xFF)
                        dst[counts[d]] = x
                        counts[d] += 1
                    }
                    swap(&src, &dst)
                }
                // Four passes: the result is back in `a`.
            }
        }
    }
}

extension RadixSort {
    /// Stable LSD radix sort of (key, value) pairs by the 64-bit key (8 passes of 8 bits).
    static func sortPairs(_ keys: inout [UInt64], _ values: inout [Int32]) {
        let n = keys.count
        if n < 2 { return }
        var tk = [UInt64](repeating: 0, count: n), tv = [Int32](repeating: 0, count: n)
        keys.withUnsafeMutableBufferPointer { k0 in
            values.withUnsafeMutableBufferPointer { v0 in
                tk.withUnsafeMutableBufferPointer { k1 in
                    tv.withUnsafeMutableBufferPointer { v1 in
                        var sk = k0, sv = v0, dk = k1, dv = v1
                        var counts = [Int](repeating: 0, count: 256)
                        for pass in 0..<8 {
                            let shift = UInt64(8 * pass)
                            for d in 0..<256 { counts[d] = 0 }
                            for x in sk { counts[Int((x >> shift) & 0xFF)] += 1 }
                            if counts.contains(n) { continue }  // this byte is the same everywhere
                            var sum = 0
                            for d in 0..<256 { let c = counts[d]; counts[d] = sum; sum += c }
                            for i in 0..<n {
                                let d = Int((sk[i] >> shift) & 0xFF)
                                dk[counts[d]] = sk[i]
                                dv[counts[d]] = sv[i]
                                counts[d] += 1
                            }
                            swap(&sk, &dk)
                            swap(&sv, &dv)
                        }
                        // After an odd number of effective passes the result is in the scratch buffers.
                        if sk.baseAddress != k0.baseAddress {
                            for i in 0..<n { k0[i] = sk[i]; v0[i] = sv[i] }
                        }
                    }
                }
            }
        }
    }
}
