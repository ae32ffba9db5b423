// SHA-256 digests in hex, written into a caller's string: a check makes one
// per finding and one per statement, and building each as a new string (and
// its 32-digit prefix as another) was an allocation apiece.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dbsafe::source {

// Replaces `out` with the first `digits` (at most 64) lower-case hex digits
// of the SHA-256 of `data`; sha256_hex(data) is the whole 64.
void sha256_hex_into(std::string_view data, std::size_t digits, std::string &out);

}  // namespace dbsafe::source
