#include "util/random.hpp"

#include <cstdio>
#include <random>

namespace dbsafe::util {

std::uint64_t random_u64() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::string random_uuid() {
  std::uint64_t hi = random_u64(), lo = random_u64();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string random_hex(std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i, bits >>= 4) {
    if (i % 16 == 0) bits = random_u64();
    out += digits[bits & 15];
  }
  return out;
}

}  // namespace dbsafe::util
