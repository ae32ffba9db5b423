// Random numbers for ids and names, drawn from the operating system each
// time: no generator state is kept, so no thread carries one in its
// thread-local storage (a std::mt19937_64 is 2.5 KB, copied into every
// thread the process starts), and a forked child cannot repeat its
// parent's ids.
#pragma once

#include <cstdint>
#include <string>

namespace dbsafe::util {

std::uint64_t random_u64();

// A version 4 UUID in the usual form: lower-case hex, 8-4-4-4-12.
std::string random_uuid();

// `n` random lower-case hex digits.
std::string random_hex(std::size_t n);

}  // namespace dbsafe::util
