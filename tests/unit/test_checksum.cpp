#include <gtest/gtest.h>

#include "dbsafe/source.hpp"
#include "source/digest.hpp"
#include "support/temp_dir.hpp"

namespace {

TEST(Checksum, KnownSha256Vectors) {
  EXPECT_EQ(dbsafe::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(dbsafe::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Two blocks, and a million bytes (FIPS 180-2 appendix B).
  EXPECT_EQ(dbsafe::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(dbsafe::sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Checksum, CrlfFixtureMatchesEitherLineEnding) {
  // The fixture is stored with CRLF (.gitattributes keeps it so).
  auto crlf = dbsafe::testing::read_file(
      dbsafe::testing::fixture("prisma-crlf/20240301000000_crlf/migration.sql"));
  ASSERT_NE(crlf.find("\r\n"), std::string::npos);
  std::string lf = crlf;
  for (std::size_t p; (p = lf.find("\r\n")) != std::string::npos;) lf.erase(p, 1);

  auto set = dbsafe::MigrationSet::open(dbsafe::testing::fixture("prisma-crlf"));
  const auto &m = set.migrations().at(0);
  EXPECT_EQ(m.checksum, dbsafe::sha256_hex(crlf));  // what Prisma writes from this checkout
  // A database deployed from an LF checkout still recognises the migration...
  EXPECT_TRUE(dbsafe::checksum_matches(m.sql, dbsafe::sha256_hex(lf)));
  // ...and the other way round.
  EXPECT_TRUE(dbsafe::checksum_matches(lf, dbsafe::sha256_hex(crlf)));
  EXPECT_TRUE(dbsafe::checksum_matches(crlf, m.checksum));
  EXPECT_FALSE(dbsafe::checksum_matches(lf + "-- edited\n", dbsafe::sha256_hex(lf)));
}

TEST(Checksum, PrismaUnpaddedLegacyForm) {
  // Find a script whose digest has a byte below 0x10, so the forms differ.
  std::string script;
  std::string padded;
  for (int i = 0;; ++i) {
    script = "SELECT " + std::to_string(i) + ";";
    padded = dbsafe::sha256_hex(script);
    bool has_small_byte = false;
    for (std::size_t k = 0; k < padded.size(); k += 2) has_small_byte |= padded[k] == '0';
    if (has_small_byte) break;
  }
  std::string unpadded;
  for (std::size_t k = 0; k < padded.size(); k += 2) {
    if (padded[k] != '0') unpadded.push_back(padded[k]);
    unpadded.push_back(padded[k + 1]);
  }
  ASSERT_LT(unpadded.size(), 64u);
  EXPECT_TRUE(dbsafe::checksum_matches(script, unpadded));
  EXPECT_TRUE(dbsafe::checksum_matches(script, padded));
}

}  // namespace

TEST(Checksum, HexIntoAStringIsThePrefixOfTheDigest) {
  std::string out = "left over from before, longer than any digest written here......";
  for (std::string_view data : {"", "abc", "CREATE TABLE t (id int);"}) {
    for (std::size_t digits : {std::size_t{0}, std::size_t{1}, std::size_t{32}, std::size_t{64}}) {
      dbsafe::source::sha256_hex_into(data, digits, out);
      EXPECT_EQ(out, dbsafe::sha256_hex(data).substr(0, digits)) << data << " " << digits;
    }
  }
  dbsafe::source::sha256_hex_into("abc", 100, out);  // at most the whole digest
  EXPECT_EQ(out, dbsafe::sha256_hex("abc"));
}
