// SHA256_Init and friends are deprecated in OpenSSL 3 in favour of EVP, but
// EVP's first digest initialises the library and fetches the algorithm from
// its provider registry: about 7.5 million instructions, a fifth of a whole
// `dbsafe check` of a small project (every finding's fingerprint is a
// SHA-256). The direct functions hash with the same assembly and need neither.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

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

// Replaces `out` with the digest in lower-case hex, at most `max_digits`
// digits of it; a reused `out` keeps its buffer.
void write_hex(const Digest &d, bool zero_padded, std::size_t max_digits, std::string &out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  for (unsigned i = 0; i < d.size && out.size() < max_digits; ++i) {
    unsigned char b = d.bytes[i];
    // Early Prisma versions printed each byte with {:x}, dropping the
    // leading zero of bytes below 0x10; such checksums still exist.
    if (zero_padded || b >= 0x10) out.push_back(kHex[b >> 4]);
    if (out.size() < max_digits) out.push_back(kHex[b & 0xF]);
  }
}

std::string hex(const Digest &d, bool zero_padded) {
  std::string out;
  out.reserve(d.size * 2);
  write_hex(d, zero_padded, d.size * 2, out);
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
  write_hex(sha256(data), true, digits, out);
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
