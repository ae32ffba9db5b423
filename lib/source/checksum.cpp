// SHA256_Init and friends are deprecated in OpenSSL 3 in favour of EVP, but
// EVP's first digest initialises the library and fetches the algorithm from
// its provider registry: about 7.5 million instructions, a fifth of a whole
// `dbsafe check` of a small project (every finding's fingerprint is a
// SHA-256). The direct functions hash with the same assembly and need neither.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "dbsafe/error.hpp"
#include "dbsafe/source.hpp"
#include "source/digest.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

struct Digest {
  unsigned char bytes[SHA256_DIGEST_LENGTH];
  unsigned int size = SHA256_DIGEST_LENGTH;
};

Digest sha256(std::string_view data) {
  Digest d;
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data.data(), data.size()) != 1 ||
      SHA256_Final(d.bytes, &ctx) != 1)
    throw Error(ErrorCode::Internal, "OpenSSL could not compute a SHA-256 digest");
  return d;
}

std::string hex(const Digest &d, bool zero_padded) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size * 2);
  for (unsigned i = 0; i < d.size; ++i) {
    unsigned char b = d.bytes[i];
    // Early Prisma versions printed each byte with {:x}, dropping the
    // leading zero of bytes below 0x10; such checksums still exist.
    if (zero_padded || b >= 0x10) out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  std::size_t pos = 0;
  while (true) {
    auto hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

bool digest_matches(std::string_view script, std::string_view stored) {
  auto d = sha256(script);
  constexpr std::size_t kPaddedLength = 64;
  bool padded = stored.size() == kPaddedLength || stored.empty();
  return hex(d, padded) == stored;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  return hex(sha256(data), true);
}

}  // namespace v1

namespace source {

void sha256_hex_into(std::string_view data, std::size_t digits, std::string &out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto d = sha256(data);
  digits = std::min<std::size_t>(digits, 2 * SHA256_DIGEST_LENGTH);
  out.resize(digits);  // no allocation where `out` is reused and has had the room
  for (std::size_t i = 0; i < digits; ++i) {
    unsigned char b = d.bytes[i / 2];
    out[i] = kHex[i % 2 == 0 ? b >> 4 : b & 0xF];
  }
}

}  // namespace source

inline namespace v1 {

bool checksum_matches(std::string_view script, std::string_view stored_checksum) {
  if (digest_matches(script, stored_checksum)) return true;
  // Git may have changed line endings since the checksum was recorded.
  if (script.find("\r\n") != std::string_view::npos &&
      digest_matches(replace_all(script, "\r\n", "\n"), stored_checksum))
    return true;
  return script.find('\n') != std::string_view::npos &&
         digest_matches(replace_all(script, "\n", "\r\n"), stored_checksum);
}

}  // namespace v1
}  // namespace dbsafe
