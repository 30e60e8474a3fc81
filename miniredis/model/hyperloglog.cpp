// miniredis/model/hyperloglog.cpp
//
// CONCEPT: probabilistic counting (see hyperloglog.hpp) - here the registers and the estimator.
//
// HyperLogLog registers, encodings and estimator (see hyperloglog.hpp for the idea and layout).
//
// Every loop over sparse opcodes here is written for hostile input: a value SET by a client can be
// any bytes behind a valid-looking header, so a run that goes past 16384 registers or an opcode cut
// in half ends the walk with "corrupt" - never a read or write outside the string.
//
// READ NEXT: commands/hyperloglog.cpp, docs/miniredis/05-probabilistic-and-bits.md (HyperLogLog).
#include "model/hyperloglog.hpp"

#include <cmath>
#include <cstring>

#include "model/murmurhash.hpp"

namespace miniredis::hll {
namespace {

constexpr uint8_t kSparseValMaxValue = 32;
constexpr int kSparseValMaxLen = 4;
constexpr int kSparseZeroMaxLen = 64;
constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2): the estimator's constant

// --- sparse opcodes (one or two bytes each) ------------------------------------------------------
bool is_zero(uint8_t op) { return (op & 0xc0) == 0; }
bool is_xzero(uint8_t op) { return (op & 0xc0) == 0x40; }
bool is_val(uint8_t op) { return (op & 0x80) != 0; }
int zero_len(uint8_t op) { return (op & 0x3f) + 1; }
int xzero_len(const uint8_t* p) { return (((p[0] & 0x3f) << 8) | p[1]) + 1; }
int val_value(uint8_t op) { return ((op >> 2) & 0x1f) + 1; }
int val_len(uint8_t op) { return (op & 0x3) + 1; }
// An XZERO cut after its first byte (only a corrupt string ends like that): Redis reads the
// string's terminating NUL as the second byte, and we read a 0 too, so both agree on what it means.
int xzero_len_at(const uint8_t* p, const uint8_t* end) {
    uint8_t two[2] = {p[0], p + 1 < end ? p[1] : uint8_t{0}};
    return xzero_len(two);
}
uint8_t make_zero(int len) { return static_cast<uint8_t>(len - 1); }
void make_xzero(uint8_t* p, int len) {
    len -= 1;
    p[0] = static_cast<uint8_t>((len >> 8) | 0x40);
    p[1] = static_cast<uint8_t>(len & 0xff);
}
uint8_t make_val(int value, int len) { return static_cast<uint8_t>(((value - 1) << 2) | (len - 1) | 0x80); }

// --- dense registers: 6 bits each, packed from the least significant bit of each byte -----------
//   byte:     [ r1 lo 2 | r0 6 bits ][ r2 lo 4 | r1 hi 4 ][ r3 6 | r2 hi 2 ] ...
constexpr size_t kRegisterBytes = kDenseSize - kHeaderSize;

uint8_t get_dense(const uint8_t* regs, int index) {
    size_t byte = static_cast<size_t>(index) * kBits / 8;
    unsigned fb = static_cast<unsigned>(index) * kBits & 7;
    unsigned b0 = regs[byte];
    unsigned b1 = byte + 1 < kRegisterBytes ? regs[byte + 1] : 0;  // the last register ends in its byte
    return static_cast<uint8_t>(((b0 >> fb) | (b1 << (8 - fb))) & kRegisterMax);
}

void set_dense(uint8_t* regs, int index, uint8_t value) {
    size_t byte = static_cast<size_t>(index) * kBits / 8;
    unsigned fb = static_cast<unsigned>(index) * kBits & 7;
    unsigned fb8 = 8 - fb;
    regs[byte] = static_cast<uint8_t>((regs[byte] & ~(kRegisterMax << fb)) | (value << fb));
    if (byte + 1 < kRegisterBytes)
        regs[byte + 1] = static_cast<uint8_t>((regs[byte + 1] & ~(kRegisterMax >> fb8)) | (value >> fb8));
}

const uint8_t* bytes_of(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* bytes_of(SmallString& s) { return reinterpret_cast<uint8_t*>(s.data()); }

// Every dense register in order, four at a time: 4 registers x 6 bits = exactly 3 bytes, so the
// loop needs no per-register shifts and branches (PFCOUNT reads all 16384 after each change).
template <typename Fn>
void for_each_dense(std::string_view bytes, Fn fn) {
    const uint8_t* p = bytes_of(bytes) + kHeaderSize;
    for (int i = 0; i < kRegisters; i += 4, p += 3) {
        fn(i, static_cast<uint8_t>(p[0] & 63));
        fn(i + 1, static_cast<uint8_t>(((p[0] >> 6) | (p[1] << 2)) & 63));
        fn(i + 2, static_cast<uint8_t>(((p[1] >> 4) | (p[2] << 4)) & 63));
        fn(i + 3, static_cast<uint8_t>(p[2] >> 2));
    }
}

// --- the estimator ---------------------------------------------------------------------------------
// Ertl's corrections for the registers that saw nothing (sigma, for the 0s) and for the ones that
// overflowed (tau, for the Q+1s) - series summed until adding a term no longer changes the double.
double sigma(double x) {
    if (x == 1.) return INFINITY;
    double z_prime, y = 1, z = x;
    do {
        x *= x;
        z_prime = z;
        z += x * y;
        y += y;
    } while (z_prime != z);
    return z;
}

double tau(double x) {
    if (x == 0. || x == 1.) return 0.;
    double z_prime, y = 1.0, z = 1 - x;
    do {
        x = std::sqrt(x);
        z_prime = z;
        y *= 0.5;
        z -= std::pow(1 - x, 2) * y;
    } while (z_prime != z);
    return z / 3;
}

// The estimate from the histogram of register values: reghisto[v] = how many registers hold v.
uint64_t estimate(const int* histo) {
    double m = kRegisters;
    double z = m * tau((m - histo[kQ + 1]) / m);
    for (int j = kQ; j >= 1; --j) {
        z += histo[j];
        z *= 0.5;
    }
    z += m * sigma(histo[0] / m);
    return static_cast<uint64_t>(std::llround(kAlphaInf * m * m / z));
}

// Walks the sparse opcodes calling run(first_register, length, value); false when they do not
// cover exactly 16384 registers or an opcode is cut short.
template <typename Run>
bool walk_sparse(std::string_view bytes, Run run) {
    const uint8_t* p = bytes_of(bytes) + kHeaderSize;
    const uint8_t* end = bytes_of(bytes) + bytes.size();
    long index = 0;
    while (p < end) {
        int len, value = 0;
        if (is_zero(*p)) {
            len = zero_len(*p++);
        } else if (is_xzero(*p)) {
            len = xzero_len_at(p, end);
            p += 2;
        } else {
            len = val_len(*p);
            value = val_value(*p++);
        }
        if (index + len > kRegisters) return false;
        run(static_cast<int>(index), len, value);
        index += len;
    }
    return index == kRegisters;
}

// Step 4 of a sparse update: two neighbouring VAL opcodes with the same value and a total length
// of at most 4 become one, so a string that grew one register at a time stays compact.
void merge_adjacent_vals(SmallString& hll, size_t from) {
    bytes_of(hll)[15] |= 0x80;  // any sparse update invalidates the cached cardinality at once
    uint8_t* base = bytes_of(hll);
    size_t p = from, end = hll.size();
    for (int scan = 5; p < end && scan-- > 0;) {
        if (is_xzero(base[p])) {
            p += 2;
            continue;
        }
        if (is_zero(base[p])) {
            ++p;
            continue;
        }
        if (p + 1 < end && is_val(base[p + 1]) && val_value(base[p]) == val_value(base[p + 1])) {
            int len = val_len(base[p]) + val_len(base[p + 1]);
            if (len <= kSparseValMaxLen) {
                base[p + 1] = make_val(val_value(base[p]), len);
                std::memmove(base + p, base + p + 1, end - p - 1);
                hll.resize(--end);
                base = bytes_of(hll);
                continue;  // maybe it merges with the next one too
            }
        }
        ++p;
    }
}

// Raises one register of a sparse HLL: find the opcode covering it, split that opcode into up to
// three (XZERO | VAL | XZERO at worst, 5 bytes instead of 2), splice them in. Returns 1/0/-1 as
// set_register, or 2 when the HLL must be promoted to dense first.
int sparse_set(SmallString& hll, int index, uint8_t count, size_t sparse_max_bytes) {
    if (count > kSparseValMaxValue) return 2;
    uint8_t* base = bytes_of(hll);
    size_t p = kHeaderSize, end = hll.size(), prev = kHeaderSize;
    bool have_prev = false;
    long first = 0, span = 0;
    while (p < end) {  // step 1: the opcode covering `index`
        size_t oplen = 1;
        if (is_zero(base[p])) {
            span = zero_len(base[p]);
        } else if (is_val(base[p])) {
            span = val_len(base[p]);
        } else {
            span = xzero_len_at(base + p, base + end);
            oplen = 2;
        }
        if (index <= first + span - 1) break;
        prev = p;
        have_prev = true;
        p += oplen;
        first += span;
    }
    if (span == 0 || p >= end) return -1;

    uint8_t op = base[p];
    bool zero = is_zero(op), xzero = is_xzero(op);
    if (!zero && !xzero) {
        if (val_value(op) >= count) return 0;  // case A: already as high
        if (val_len(op) == 1) {                // case B: a VAL of one register: rewrite it
            base[p] = make_val(count, 1);
            merge_adjacent_vals(hll, have_prev ? prev : kHeaderSize);
            return 1;
        }
    }
    if (zero && zero_len(op) == 1) {  // case C: a ZERO of one register becomes a VAL
        base[p] = make_val(count, 1);
        merge_adjacent_vals(hll, have_prev ? prev : kHeaderSize);
        return 1;
    }
    // Case D: split the opcode around `index`.
    uint8_t seq[5];
    size_t n = 0;
    long last = first + span - 1;
    auto zeros = [&](long len) {
        if (len > kSparseZeroMaxLen) {
            make_xzero(seq + n, static_cast<int>(len));
            n += 2;
        } else {
            seq[n++] = make_zero(static_cast<int>(len));
        }
    };
    if (zero || xzero) {
        if (index != first) zeros(index - first);
        seq[n++] = make_val(count, 1);
        if (index != last) zeros(last - index);
    } else {
        int value = val_value(op);
        if (index != first) seq[n++] = make_val(value, static_cast<int>(index - first));
        seq[n++] = make_val(count, 1);
        if (index != last) seq[n++] = make_val(value, static_cast<int>(last - index));
    }
    size_t old_len = xzero ? 2 : 1;
    long delta = static_cast<long>(n) - static_cast<long>(old_len);
    if (delta > 0 && hll.size() + static_cast<size_t>(delta) > sparse_max_bytes) return 2;  // too big: go dense
    size_t next = p + old_len;
    if (next > end) {
        // The cut XZERO above: Redis writes the new opcodes over the string's end and keeps its
        // length arithmetic (old length + delta), so the last byte falls off. Do the same.
        size_t new_size = end + static_cast<size_t>(delta + 1) - 1;
        hll.resize(new_size);
        base = bytes_of(hll);
        std::memcpy(base + p, seq, new_size - p);
        merge_adjacent_vals(hll, have_prev ? prev : kHeaderSize);
        return 1;
    }
    if (delta > 0) {
        hll.resize(end + static_cast<size_t>(delta));
        base = bytes_of(hll);
        std::memmove(base + next + delta, base + next, end - next);
    } else if (delta < 0) {
        std::memmove(base + next + delta, base + next, end - next);
        hll.resize(end - static_cast<size_t>(-delta));
        base = bytes_of(hll);
    }
    std::memcpy(base + p, seq, n);
    merge_adjacent_vals(hll, have_prev ? prev : kHeaderSize);
    return 1;
}

}  // namespace

// Step 1-3 of the header for one element: which register, and what it would hold. The sentinel bit
// above the 50 used bits caps the count at 51, so a hash whose high bits are all 0 cannot run the
// loop off the end - and the same element always gives the same (index, count), which is what makes
// adding it twice a no-op.
Pattern pattern_of(std::string_view element) {
    uint64_t hash = murmurhash64a(element, kHllHashSeed);
    int index = static_cast<int>(hash & (kRegisters - 1));
    hash >>= kP;
    hash |= uint64_t{1} << kQ;  // a sentinel 1: the count never exceeds Q+1
    uint8_t count = 1;
    for (uint64_t bit = 1; (hash & bit) == 0; bit <<= 1) ++count;
    return {index, count};
}

// A fresh HLL is sparse: the header and one XZERO opcode saying "all 16384 registers are 0" -
// 18 bytes, so a million small, mostly empty counters cost megabytes, not 12 GB.
std::string make_empty() {
    std::string s(kHeaderSize + 2, '\0');
    std::memcpy(s.data(), "HYLL", 4);
    s[4] = static_cast<char>(kSparse);
    auto* p = reinterpret_cast<uint8_t*>(s.data()) + kHeaderSize;
    make_xzero(p, kRegisters);
    return s;
}

// The cheap header check PFADD/PFCOUNT run before trusting a string as an HLL (Redis' isHLLObjectOrReply):
// magic, a known encoding, and the exact size for dense. The sparse opcodes are validated while
// they are walked, not here.
bool looks_valid(std::string_view bytes) {
    if (bytes.size() < kHeaderSize || bytes.substr(0, 4) != "HYLL") return false;
    uint8_t e = encoding(bytes);
    if (e > kSparse) return false;
    return e != kDense || bytes.size() == kDenseSize;
}

uint8_t encoding(std::string_view bytes) { return static_cast<uint8_t>(bytes[4]); }

// A register only ever grows (it keeps the maximum), so "no change" is the common answer once an
// HLL has seen many elements - and then PFADD replies 0 and, as Redis, does not propagate anything.
int set_register(SmallString& hll, int index, uint8_t count, size_t sparse_max_bytes) {
    if (encoding(hll.view()) == kSparse) {
        int r = sparse_set(hll, index, count, sparse_max_bytes);
        if (r != 2) return r;
        if (!to_dense(hll)) return -1;  // promotion: from now on the HLL stays dense
    }
    uint8_t* regs = bytes_of(hll) + kHeaderSize;
    if (get_dense(regs, index) >= count) return 0;
    set_dense(regs, index, count);
    return 1;
}

int add(SmallString& hll, std::string_view element, size_t sparse_max_bytes) {
    Pattern pat = pattern_of(element);
    return set_register(hll, pat.index, pat.count, sparse_max_bytes);
}

// Promotion rewrites the registers into the fixed 12304-byte form. It is one way: once the sparse
// form stopped paying off, going back would cost a rescan on every later add.
bool to_dense(SmallString& hll) {
    std::string_view old = hll.view();
    if (encoding(old) == kDense) return true;
    std::string dense(kDenseSize, '\0');
    std::memcpy(dense.data(), old.data(), kHeaderSize);  // magic and cached cardinality carry over
    dense[4] = static_cast<char>(kDense);
    auto* regs = reinterpret_cast<uint8_t*>(dense.data()) + kHeaderSize;
    bool ok = walk_sparse(old, [&](int first, int len, int value) {
        if (value)
            for (int i = 0; i < len; ++i) set_dense(regs, first + i, static_cast<uint8_t>(value));
    });
    if (!ok) return false;
    hll.assign(dense);
    return true;
}

// The cached cardinality, little-endian in header bytes 8..15; the top bit of byte 15 set means
// "stale, recount". Keeping it in the string itself (not beside it) is what lets a cached count
// survive SAVE, replication and a GET/SET round trip, as in Redis.
std::optional<uint64_t> cached(std::string_view bytes) {
    const uint8_t* card = bytes_of(bytes) + 8;
    if (card[7] & 0x80) return std::nullopt;
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | card[i];
    return value;
}

void store_cache(SmallString& hll, uint64_t cardinality) {
    uint8_t* card = bytes_of(hll) + 8;
    for (int i = 0; i < 8; ++i) card[i] = static_cast<uint8_t>(cardinality >> (8 * i));
}

void invalidate_cache(SmallString& hll) { bytes_of(hll)[15] |= 0x80; }

// The estimator needs only the histogram of register values, not the registers themselves: 64
// counters, filled by one pass over either encoding.
std::optional<uint64_t> count(std::string_view bytes) {
    int histo[64] = {0};
    if (encoding(bytes) == kDense) {
        for_each_dense(bytes, [&](int, uint8_t v) { ++histo[v]; });
    } else if (!walk_sparse(bytes, [&](int, int len, int value) { histo[value] += len; })) {
        return std::nullopt;
    }
    return estimate(histo);
}

// Union by register-wise maximum: the property that makes HLLs composable (PFMERGE, PFCOUNT of
// several keys). Counting the union of a week's daily sketches needs no raw data at all.
bool merge_into(std::string_view bytes, uint8_t* max) {
    if (encoding(bytes) == kDense) {
        for_each_dense(bytes, [&](int i, uint8_t v) {
            if (v > max[i]) max[i] = v;
        });
        return true;
    }
    return walk_sparse(bytes, [&](int first, int len, int value) {
        for (int i = first; value && i < first + len; ++i)
            if (value > max[i]) max[i] = static_cast<uint8_t>(value);
    });
}

uint64_t count_registers(const uint8_t* registers) {
    int histo[64] = {0};
    for (int i = 0; i < kRegisters; ++i) ++histo[registers[i] & 63];
    return estimate(histo);
}

uint8_t dense_register(std::string_view bytes, int index) { return get_dense(bytes_of(bytes) + kHeaderSize, index); }

}  // namespace miniredis::hll
