import CCapeCodec
import Glibc
import Testing
@testable import CapeCore

/// Two buffers standing for a page before and after a region.
private struct Page {
    let old: UnsafeMutableRawPointer
    let cur: UnsafeMutableRawPointer
    let bytes: Int
    init(bytes: Int = 4096, fill: UInt8 = 0) {
        self.bytes = bytes
        old = .allocate(byteCount: bytes, alignment: 4096)
        cur = .allocate(byteCount: bytes, alignment: 4096)
        old.initializeMemory(as: UInt8.self, repeating: fill, count: bytes)
        cur.initializeMemory(as: UInt8.self, repeating: fill, count: bytes)
    }
    var address: UInt { UInt(bitPattern: cur) }
    func encode(into out: UnsafeMutableRawPointer, capacity: Int = 1 << 20) -> (bytes: Int, runs: Int) {
        let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: Diff.maxRunWords)
        defer { mask.deallocate() }
        var enc = Diff.Encoder(out: out, capacity: capacity, maskScratch: mask)
        enc.add(current: cur, old: old, lo: address, hi: address + UInt(bytes))
        enc.close()
        return (enc.bytes, enc.runs)
    }
}

@Suite("diff codec")
struct DiffTests {
    @Test("an unchanged page encodes to nothing")
    func unchanged() {
        let p = Page()
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
        #expect(p.encode(into: out).bytes == 0)
    }

    @Test("the byte mask names exactly the nonzero bytes")
    func byteMask() {
        func slow(_ x: UInt64) -> UInt8 {
            var m: UInt8 = 0
            for i in 0..<8 where (x >> UInt64(8 * i)) & 0xFF != 0 { m |= UInt8(1) << UInt8(i) }
            return m
        }
        var rng = SystemRandomNumberGenerator()
        for pattern in 0..<256 {
            // Every set of nonzero bytes, with random nonzero values and the extremes 0x01, 0x80, 0xFF.
            for fill in [UInt64(0x01), 0x7F, 0x80, 0xFF, UInt64.random(in: 1...255, using: &rng)] {
                var x: UInt64 = 0
                for i in 0..<8 where pattern & (1 << i) != 0 { x |= fill << UInt64(8 * i) }
                #expect(Diff.byteMask(x) == UInt8(pattern), "x = \(String(x, radix: 16))")
                #expect(Diff.byteMask(x) == slow(x))
            }
        }
        for _ in 0..<10_000 {
            let x = rng.next() & rng.next()
            #expect(Diff.byteMask(x) == slow(x))
        }
    }

    @Test("applying a run writes exactly the bytes its masks name, for every mask and run length")
    func applyEveryMask() {
        // 256 words with masks 0...255 in every rotation, and lengths that end inside a group of four.
        for words in [1, 3, 4, 5, 7, 259] {
            for rotation in 0..<4 {
                let run = MaskedRun(words: words) { UInt8(($0 + rotation * 61) % 256) }
                let target = MaskedRun.target(words)
                defer { run.deallocate(); target.deallocate() }
                var expected = (0..<(words + 2)).map { target[$0] }
                for w in 0..<words {
                    for b in 0..<8 where run.mask[w] & (1 << UInt8(b)) != 0 {
                        let byte = UInt64(0xFF) << UInt64(8 * b)
                        expected[w + 1] = (expected[w + 1] & ~byte) | (run.data[w] & byte)
                    }
                }
                Diff.apply(Diff.Run(address: 0, words: words, data: UnsafeRawPointer(run.data), mask: UnsafePointer(run.mask)),
                           to: UnsafeMutableRawPointer(target + 1))
                #expect((0..<(words + 2)).allSatisfy { target[$0] == expected[$0] }, "\(words) words, rotation \(rotation)")
            }
        }
    }

    @Test("applying into memory and its copy in one pass writes both as applying into memory alone does")
    func applyTwiceMatchesApply() {
        for words in [1, 3, 4, 5, 7, 259] {
            for rotation in 0..<4 {
                let run = MaskedRun(words: words) { $0 % 5 == 0 ? 0 : UInt8(($0 * 7 + rotation * 61) % 256) }
                let alone = MaskedRun.target(words), memory = MaskedRun.target(words), copy = MaskedRun.target(words)
                defer { run.deallocate(); alone.deallocate(); memory.deallocate(); copy.deallocate() }
                cape_codec_blend(alone + 1, run.data, run.mask, words)
                cape_codec_blend_twice(memory + 1, copy + 1, run.data, run.mask, words)
                #expect((0..<(words + 2)).allSatisfy { memory[$0] == alone[$0] && copy[$0] == alone[$0] }, "\(words) words, rotation \(rotation)")
            }
        }
    }

    @Test("applying changes only the bytes a run names, whatever the target holds elsewhere")
    func applyLeavesUnnamedBytes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let p = Page()
            let o = p.old.assumingMemoryBound(to: UInt8.self), c = p.cur.assumingMemoryBound(to: UInt8.self)
            for i in 0..<p.bytes { o[i] = UInt8.random(in: 0...255, using: &rng); c[i] = o[i] }
            // Changes of every density: single bytes, partial words, whole words and long stretches.
            for _ in 0..<Int.random(in: 1...400, using: &rng) {
                let at = Int.random(in: 0..<p.bytes, using: &rng)
                let len = [1, 1, 3, 8, 64, 700][Int.random(in: 0..<6, using: &rng)]
                for i in at..<min(p.bytes, at + len) where Bool.random(using: &rng) || len > 8 { c[i] = c[i] &+ 1 }
            }
            let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
            defer { out.deallocate() }
            let n = p.encode(into: out).bytes
            // A target whose unchanged bytes differ from `old`: they must survive as they are.
            let target = UnsafeMutableRawPointer.allocate(byteCount: p.bytes, alignment: 4096)
            defer { target.deallocate() }
            let t = target.assumingMemoryBound(to: UInt8.self)
            var expected = [UInt8](repeating: 0, count: p.bytes)
            for i in 0..<p.bytes {
                t[i] = UInt8.random(in: 0...255, using: &rng)
                expected[i] = c[i] != o[i] ? c[i] : t[i]
            }
            for run in Diff.Runs(out, bytes: n) { Diff.apply(run, to: target + Int(run.address - p.address)) }
            #expect((0..<p.bytes).allSatisfy { t[$0] == expected[$0] })
        }
    }

    @Test("encoding while refreshing writes the same bytes and leaves the old content equal to the current, on both paths")
    func refreshing() {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<40 {
            let p = Page()
            for _ in 0..<Int.random(in: 1...300, using: &rng) {
                p.cur.storeBytes(of: UInt8.random(in: 1...255, using: &rng), toByteOffset: Int.random(in: 0..<4096, using: &rng), as: UInt8.self)
            }
            let plain = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
            let (n, _) = p.encode(into: plain)
            let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: Diff.maxRunWords)
            // Every other trial with just the room the diff needs: the checked path.
            var enc = Diff.Encoder(out: fresh, capacity: trial % 2 == 0 ? 1 << 20 : n + 64, maskScratch: mask)
            enc.addRefreshing(current: p.cur, old: p.old, lo: p.address, hi: p.address + 4096)
            enc.close()
            #expect(!enc.overflow)
            #expect(enc.bytes == n)
            #expect(memcmp(plain, fresh, n) == 0)
            #expect(memcmp(p.old, p.cur, 4096) == 0)
        }
    }

    @Test("the unchecked path (room to spare) and the checked path (little room) write the same bytes")
    func fastAndCheckedAgree() {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<40 {
            let p = Page(bytes: 16 * 4096)
            let words = p.bytes / 8
            let cur = p.cur.assumingMemoryBound(to: UInt64.self)
            // Dense stretches (numeric data), sparse single bytes, and runs longer than the mask buffer.
            let dense = trial % 3 == 0 ? words : Int.random(in: 0..<words, using: &rng)
            for i in 0..<dense where trial % 3 == 0 || Int.random(in: 0..<4, using: &rng) == 0 { cur[i] = rng.next() | 1 }
            for _ in 0..<Int.random(in: 0..<200, using: &rng) {
                (p.cur + Int.random(in: 0..<p.bytes, using: &rng)).storeBytes(of: UInt8.random(in: 1...255, using: &rng), as: UInt8.self)
            }
            let big = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
            let exact = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
            let fast = p.encode(into: big)
            let checked = p.encode(into: exact, capacity: fast.bytes + 64)
            #expect(checked.bytes == fast.bytes && checked.runs == fast.runs, "trial \(trial)")
            #expect(memcmp(big, exact, fast.bytes) == 0, "trial \(trial)")
            // And applying it to the old content gives the new one.
            var image = [UInt8](repeating: 0, count: p.bytes)
            image.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: p.old, byteCount: p.bytes)
                for run in Diff.Runs(big, bytes: fast.bytes) {
                    Diff.apply(run, to: dst.baseAddress! + Int(run.address - p.address))
                }
            }
            #expect(memcmp(image, p.cur, p.bytes) == 0, "trial \(trial)")
            big.deallocate()
            exact.deallocate()
        }
    }

    @Test("byte masks name exactly the changed bytes")
    func masks() {
        #expect(Diff.byteMask(0) == 0)
        #expect(Diff.byteMask(0xFF) == 0b1)
        #expect(Diff.byteMask(0xFF00_0000_0000_0000) == 0b1000_0000)
        #expect(Diff.byteMask(0x0102_0304_0506_0708) == 0xFF)
        #expect(Diff.byteMask(0x0100_0000_0000_0001) == 0b1000_0001)
        #expect(Diff.byteMask(0x0000_FF00_0000_0000) == 0b0010_0000)
    }

    @Test("applying a diff to a copy of the old page reproduces the new page")
    func roundTrip() {
        let p = Page()
        var rng = SystemRandomNumberGenerator()
        let c = p.cur.assumingMemoryBound(to: UInt8.self)
        for _ in 0..<300 { c[Int.random(in: 0..<4096, using: &rng)] = UInt8.random(in: 1...255, using: &rng) }
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
        let (n, runs) = p.encode(into: out)
        #expect(runs > 0)
        let target = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        target.copyMemory(from: p.old, byteCount: 4096)
        for run in Diff.Runs(out, bytes: n) {
            Diff.apply(run, to: target + Int(run.address - p.address))
        }
        #expect(memcmp(target, p.cur, 4096) == 0)
    }

    @Test("small gaps join runs; large gaps split them")
    func gaps() {
        let p = Page()
        let w = p.cur.assumingMemoryBound(to: UInt64.self)
        w[0] = 1; w[3] = 1          // gap of 2 words: one run
        w[100] = 1                  // gap of 96 words: a new run
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
        let (n, runs) = p.encode(into: out)
        #expect(runs == 2)
        let all = Array(Diff.Runs(out, bytes: n))
        #expect(all.count == 2)
        #expect(all[0].words == 4)
        #expect(all[0].mask[1] == 0 && all[0].mask[2] == 0)
        #expect(all[1].address == p.address + 800)
    }

    @Test("gap bytes never overwrite what the receiver has there")
    func gapBytesInert() {
        let p = Page()
        let w = p.cur.assumingMemoryBound(to: UInt64.self)
        w[0] = 7; w[2] = 9
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
        let (n, _) = p.encode(into: out)
        let target = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        target.initializeMemory(as: UInt8.self, repeating: 0xAB, count: 4096)
        for run in Diff.Runs(out, bytes: n) { Diff.apply(run, to: target + Int(run.address - p.address)) }
        let t = target.assumingMemoryBound(to: UInt64.self)
        // Only the changed low bytes travel; everything else stays the receiver's.
        #expect(t[0] == 0xABAB_ABAB_ABAB_AB07 && t[2] == 0xABAB_ABAB_ABAB_AB09)
        #expect(t[1] == 0xABAB_ABAB_ABAB_ABAB)
    }

    @Test("runs longer than the mask buffer are split and still exact")
    func longRuns() {
        let p = Page(bytes: 4096 * 16)
        let c = p.cur.assumingMemoryBound(to: UInt64.self)
        for i in 0..<(4096 * 16 / 8) { c[i] = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 | 1 }
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 21, alignment: 8)
        let (n, runs) = p.encode(into: out, capacity: 1 << 21)
        #expect(runs == 2)
        let target = UnsafeMutableRawPointer.allocate(byteCount: p.bytes, alignment: 4096)
        target.copyMemory(from: p.old, byteCount: p.bytes)
        for run in Diff.Runs(out, bytes: n) { Diff.apply(run, to: target + Int(run.address - p.address)) }
        #expect(memcmp(target, p.cur, p.bytes) == 0)
    }

    @Test("an encoder out of room reports overflow instead of writing past its buffer")
    func overflow() {
        let p = Page()
        p.cur.initializeMemory(as: UInt8.self, repeating: 1, count: 4096)
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
        let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: Diff.maxRunWords)
        var enc = Diff.Encoder(out: out, capacity: 256, maskScratch: mask)
        enc.add(current: p.cur, old: p.old, lo: p.address, hi: p.address + 4096)
        enc.close()
        #expect(enc.overflow)
        #expect(enc.bytes <= 256)
    }

    @Test("two ranks writing neighbouring bytes of one word do not conflict")
    func neighbouringBytes() {
        let a = Page(), b = Page()
        // Same address space on both "ranks": encode b's change as if at a's address.
        a.cur.storeBytes(of: 0x11, toByteOffset: 0, as: UInt8.self)
        b.cur.storeBytes(of: 0x22, toByteOffset: 1, as: UInt8.self)
        let outA = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        let outB = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        let na = a.encode(into: outA).bytes
        let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: Diff.maxRunWords)
        var enc = Diff.Encoder(out: outB, capacity: 4096, maskScratch: mask)
        enc.add(current: b.cur, old: b.old, lo: b.address, hi: b.address + 4096)
        enc.close()
        // Rewrite b's run address to a's page.
        outB.storeBytes(of: UInt64(a.address), as: UInt64.self)
        #expect(Diff.conflicts([(UnsafeRawPointer(outA), na), (UnsafeRawPointer(outB), enc.bytes)]).isEmpty)
        let target = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        target.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        for (o, n) in [(outA, na), (outB, enc.bytes)] {
            for run in Diff.Runs(o, bytes: n) { Diff.apply(run, to: target + Int(run.address - a.address)) }
        }
        #expect(target.load(as: UInt16.self) == 0x2211)
    }

    @Test("the same byte written with different values is a conflict; with the same value it is not")
    func conflicts() {
        func diff(_ value: UInt8, at offset: Int, base: UInt) -> (UnsafeRawPointer, Int) {
            let p = Page()
            p.cur.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
            let out = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
            let n = p.encode(into: out).bytes
            out.storeBytes(of: UInt64(base) + UInt64(offset & ~7), as: UInt64.self)
            return (UnsafeRawPointer(out), n)
        }
        let base: UInt = 0x10000
        let same = Diff.conflicts([diff(5, at: 12, base: base), diff(5, at: 12, base: base)])
        #expect(same.isEmpty)
        let different = Diff.conflicts([diff(5, at: 12, base: base), diff(6, at: 12, base: base), diff(7, at: 100, base: base)])
        #expect(different == [Diff.Conflict(address: base + 12, rankA: 0, rankB: 1)])
    }

    /// A payload of one-word runs: (address, value, mask) each.
    private func payload(_ runs: [(UInt, UInt64, UInt8)]) -> (UnsafeRawPointer, Int) {
        let n = runs.count * Diff.runBytes(words: 1)
        let out = UnsafeMutableRawPointer.allocate(byteCount: max(n, 8), alignment: 8)
        for (i, r) in runs.enumerated() {
            let at = out + i * Diff.runBytes(words: 1)
            at.storeBytes(of: UInt64(r.0), as: UInt64.self)
            at.storeBytes(of: UInt32(1), toByteOffset: 8, as: UInt32.self)
            at.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
            at.storeBytes(of: r.1, toByteOffset: 16, as: UInt64.self)
            at.storeBytes(of: UInt64(r.2), toByteOffset: 24, as: UInt64.self)
        }
        return (UnsafeRawPointer(out), n)
    }

    @Test("conflicts are found past runs that do not overlap, and the lowest come first over all pairs")
    func conflictsLowestFirst() {
        // Rank 0 and rank 2 disagree at 0x1000 (a run rank 1 never touches); ranks 0 and 1 at 0x3000
        // and 0x5000, after runs of theirs that do not overlap or agree.
        let r0 = payload([(0x1000, 1, 0x01), (0x2000, 7, 0xFF), (0x3000, 2, 0x01), (0x5000, 3, 0x01)])
        let r1 = payload([(0x2008, 9, 0xFF), (0x3000, 4, 0x01), (0x4000, 0, 0xFF), (0x5000, 5, 0x01)])
        let r2 = payload([(0x1000, 6, 0x01), (0x2000, 7, 0xFF)])
        let all = Diff.conflicts([r0, r1, r2], limit: 8)
        #expect(all == [Diff.Conflict(address: 0x1000, rankA: 0, rankB: 2),
                        Diff.Conflict(address: 0x3000, rankA: 0, rankB: 1),
                        Diff.Conflict(address: 0x5000, rankA: 0, rankB: 1)])
        #expect(Diff.conflicts([r0, r1, r2], limit: 1) == [Diff.Conflict(address: 0x1000, rankA: 0, rankB: 2)])
        // Disjoint masks in one word are no conflict.
        #expect(Diff.conflicts([payload([(0x10, 1, 0x01)]), payload([(0x10, 0x200, 0x02)])]).isEmpty)
    }
}

/// The words and byte masks of a run of `words` words (data word w: a pattern xor w), and targets
/// of words + 2 with a guard word on either side, filled with another pattern.
private struct MaskedRun {
    let data: UnsafeMutablePointer<UInt64>
    let mask: UnsafeMutablePointer<UInt8>

    init(words: Int, maskOf: (Int) -> UInt8) {
        data = .allocate(capacity: words)
        mask = .allocate(capacity: (words + 7) & ~7)
        for w in 0..<words {
            data[w] = 0xA0B0_C0D0_E0F0_0102 ^ UInt64(w)
            mask[w] = maskOf(w)
        }
    }

    func deallocate() { data.deallocate(); mask.deallocate() }

    static func target(_ words: Int) -> UnsafeMutablePointer<UInt64> {
        let t = UnsafeMutablePointer<UInt64>.allocate(capacity: words + 2)
        for w in 0..<(words + 2) { t[w] = 0x1111_1111_1111_1111 &* UInt64(w % 15 + 1) }
        return t
    }
}
