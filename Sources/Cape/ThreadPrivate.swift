// threadprivate variables (and any other thread-local variable of the program) for a team spread
// over ranks. gcc keeps them in the executable's TLS block, one per OS thread. Workers keep their
// block across regions, as libgomp's threads do. The main thread of rank r != 0 is thread 0 in
// sequential code but hosts thread `base_r` in regions: around each region its block is swapped
// between the master's copy and thread base_r's own copy, which persists in runtime memory. The
// master's copy that sequential code sees afterwards is rank 0's (thread 0 ran there), sent with
// rank 0's segment at the end of every region. copyin of a scalar is a value gcc passes in the
// region's data block; copyin of an array is a pointer to the master's copy, which on these ranks
// now holds the hosted thread's copy: for the region, such pointers in the data block point at the
// saved master copy instead, and get their value back when the region's threads are done.
import CCapeShim
import CapeCore
import Glibc

enum ThreadPrivate {
    static let tag: UInt64 = 4
    nonisolated(unsafe) static var block: UnsafeMutableRawPointer?
    nonisolated(unsafe) static var size = 0
    nonisolated(unsafe) static var image: UnsafeRawPointer?
    nonisolated(unsafe) static var filesz = 0
    private nonisolated(unsafe) static var master: UnsafeMutableRawPointer?
    private nonisolated(unsafe) static var copies: [Int: UnsafeMutableRawPointer] = [:]
    private nonisolated(unsafe) static var hosting = -1
    private nonisolated(unsafe) static var rewritten: [(UnsafeMutablePointer<UInt>, UInt)] = []
    private nonisolated(unsafe) static var dataSizes: [UInt: Int] = [:]

    /// At start, on the main thread.
    static func setUp() {
        var b: UnsafeMutableRawPointer?
        var s = 0
        var i: UnsafeRawPointer?
        var f = 0
        guard cape_exe_tls(&b, &s, &i, &f) != 0 else { return }
        block = b; size = s; image = i; filesz = f
        master = UnsafeMutableRawPointer.allocate(byteCount: s, alignment: 64)
    }

    /// Region start, on the master: if this rank's main thread hosts a thread other than 0, it
    /// takes that thread's copy.
    static func enter(base: Int, local: Int, fn: UInt, data: UInt) {
        guard let block, Runtime.distributed, local > 0, base != 0 else { return }
        memcpy(master!, block, size)
        redirectCopyin(fn: fn, data: data)
        if let c = copies[base] {
            memcpy(block, c, size)
        } else {
            if filesz > 0 { memcpy(block, image!, filesz) }
            if size > filesz { memset(block + filesz, 0, size - filesz) }
        }
        hosting = base
    }

    /// Points copyin pointers of the data block (words that point into the main thread's block) at
    /// the saved master copy. The block's size comes from DWARF, else the first 128 bytes are looked
    /// at (a word beyond the block is restored before the caller runs again).
    private static func redirectCopyin(fn: UInt, data: UInt) {
        guard data != 0, let block else { return }
        let bytes = dataSizes[fn] ?? {
            let n = Int(cape_dwarf_data_size(fn))
            dataSizes[fn] = n > 0 ? n : 128
            return n > 0 ? n : 128
        }()
        let lo = UInt(bitPattern: block), hi = lo + UInt(size)
        var a = (data + 7) & ~7
        while a + 8 <= data + UInt(bytes) {
            let w = UnsafeMutablePointer<UInt>(bitPattern: a)!
            if w.pointee >= lo && w.pointee < hi {
                rewritten.append((w, w.pointee))
                w.pointee = UInt(bitPattern: master!) + (w.pointee - lo)
            }
            a += 8
        }
    }

    /// After the region's threads are done: the data block's words are the program's again.
    static func restoreData() {
        for (w, v) in rewritten { w.pointee = v }
        rewritten = []
    }

    /// Region end, after the join: keeps the hosted thread's copy.
    static func leave() {
        restoreData() // before the rank's diff is encoded: the data block never differs
        guard let block, hosting >= 0 else { return }
        let c = copies[hosting] ?? UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        memcpy(c, block, size)
        copies[hosting] = c
        memcpy(block, master!, size)
        hosting = -1
    }

    /// Rank 0's record: the master's copy.
    static func writeRecord(_ out: UnsafeMutableRawPointer, room: Int) -> Int {
        guard let block, Runtime.rank == 0, Runtime.distributed else { return 0 }
        if 16 + size > room { fatal("the thread-local data does not fit the channel (raise CAPE_CHANNEL_GB)") }
        out.storeBytes(of: tag, as: UInt64.self)
        out.storeBytes(of: UInt64(size), toByteOffset: 8, as: UInt64.self)
        memcpy(out + 16, block, size)
        return 16 + size
    }

    /// After the region's exchange: every other rank takes rank 0's master copy.
    static func install(_ segments: [Segment.View]) {
        guard let block, Runtime.rank != 0 else { return }
        for s in segments where s.rank == 0 {
            for r in RegionHeap.records(s) where r.tag == tag && r.bytes == size {
                memcpy(block, r.body, size)
            }
        }
    }
}
