#include "tm/log/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define XATM_CRC32C_SSE42 1
#include <nmmintrin.h>
#endif

namespace xatm {
namespace {

constexpr uint32_t kPolyReflected = 0x82f63b78u;  // 0x1EDC6F41 bit-reversed

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[k][b]: the CRC of byte b followed by k zero bytes, so eight input
// bytes fold into the register with eight independent look-ups.
constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1u) ? (c >> 1) ^ kPolyReflected : c >> 1;
    }
    t[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (int k = 1; k < 8; ++k) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

uint32_t ExtendTables(uint32_t crc, const unsigned char* p, size_t n) {
  uint32_t l = ~crc;
  while (n >= 8) {
    uint32_t lo = LoadLe32(p) ^ l;
    uint32_t hi = LoadLe32(p + 4);
    l = kTables[7][lo & 0xffu] ^ kTables[6][(lo >> 8) & 0xffu] ^
        kTables[5][(lo >> 16) & 0xffu] ^ kTables[4][lo >> 24] ^
        kTables[3][hi & 0xffu] ^ kTables[2][(hi >> 8) & 0xffu] ^
        kTables[1][(hi >> 16) & 0xffu] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) l = kTables[0][(l ^ *p++) & 0xffu] ^ (l >> 8);
  return ~l;
}

#ifdef XATM_CRC32C_SSE42
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc,
                                                       const unsigned char* p,
                                                       size_t n) {
  uint64_t l = ~crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));  // unaligned-safe
    l = _mm_crc32_u64(l, v);
    p += 8;
    n -= 8;
  }
  uint32_t c = static_cast<uint32_t>(l);
  while (n-- > 0) c = _mm_crc32_u8(c, *p++);
  return ~c;
}

bool CpuHasSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#else
bool CpuHasSse42() { return false; }
#endif

using ExtendFn = uint32_t (*)(uint32_t, const unsigned char*, size_t);

ExtendFn ChooseExtend() {
#ifdef XATM_CRC32C_SSE42
  if (CpuHasSse42()) return &ExtendSse42;
#endif
  return &ExtendTables;
}

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n) {
  static const ExtendFn extend = ChooseExtend();
  return extend(crc, reinterpret_cast<const unsigned char*>(data), n);
}

uint32_t Crc32cExtendPortable(uint32_t crc, const char* data, size_t n) {
  return ExtendTables(crc, reinterpret_cast<const unsigned char*>(data), n);
}

bool Crc32cIsHardwareAccelerated() { return ChooseExtend() != &ExtendTables; }

}  // namespace xatm
