// CRC-32C (Castagnoli), the checksum of every decision-log frame. Uses the
// SSE4.2 crc32 instruction when the CPU has it, slice-by-8 tables otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace xatm {

// The CRC-32C of `data[0, n)` appended to bytes whose CRC-32C is `crc`
// (0 for none), so Crc32cExtend(Crc32c(a), b) == Crc32c(a + b).
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);

inline uint32_t Crc32c(const char* data, size_t n) {
  return Crc32cExtend(0, data, n);
}
inline uint32_t Crc32c(std::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

// The table-driven path, whatever the CPU (exposed for tests).
uint32_t Crc32cExtendPortable(uint32_t crc, const char* data, size_t n);
// Whether Crc32cExtend uses the crc32 instruction.
bool Crc32cIsHardwareAccelerated();

// A CRC stored in the data it covers is masked: the CRC of bytes that
// contain CRCs is otherwise poorly distributed (LevelDB does the same).
inline constexpr uint32_t kCrcMaskDelta = 0xa282ead8u;

inline uint32_t MaskCrc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kCrcMaskDelta;
}
inline uint32_t UnmaskCrc(uint32_t masked) {
  uint32_t rot = masked - kCrcMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace xatm
