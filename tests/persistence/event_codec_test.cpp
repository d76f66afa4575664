#include "persistence/event_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/snapshot_codec.hpp"
#include "persistence_test_support.hpp"

namespace bulwark::persistence {
namespace {

using testing::make_event;
using testing::sample_event_data;

TEST(EventCodec, RoundTripsEveryEventType) {
  auto samples = sample_event_data();
  ASSERT_EQ(samples.size(), std::variant_size_v<domain::EventData>);
  ChainHash prev = sha256("previous event");

  for (std::size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(domain::type_name(domain::type_of(samples[i])));
    auto event = make_event(1000 + i, samples[i]);
    event.principal = "operator@example.com";
    event.causation_id = "";

    auto encoded = encode_event(event, prev);
    ASSERT_TRUE(encoded.ok()) << encoded.error();
    auto decoded = decode_event(encoded.value());
    ASSERT_TRUE(decoded.ok()) << decoded.error();

    const auto& back = decoded.value();
    EXPECT_EQ(back.event.seq, event.seq);
    EXPECT_EQ(back.event.ts, event.ts);
    EXPECT_EQ(back.event.principal, event.principal);
    EXPECT_EQ(back.event.causation_id, event.causation_id);
    EXPECT_EQ(back.event.data.index(), event.data.index());
    EXPECT_EQ(domain::event_data_to_json(back.event.data), domain::event_data_to_json(event.data));
    EXPECT_EQ(back.prev_hash, prev);
    EXPECT_EQ(back.schema_version, domain::event_schema_version);
  }
}

TEST(EventCodec, WritesDocumentedHeader) {
  auto event = make_event(0x0102030405060708, domain::SpendReleased{"r-1"});
  event.ts = domain::from_unix_ms(-5);  // before 1970: the i64 must survive two's complement
  auto encoded = encode_event(event, genesis_hash());
  ASSERT_TRUE(encoded.ok());
  const std::string& value = encoded.value();

  ASSERT_GE(value.size(), event_header_bytes);
  EXPECT_EQ(value[0], 1);                                     // format version
  EXPECT_EQ(value.substr(1, 2), std::string("\x00\x04", 2));  // spend_released = 4
  EXPECT_EQ(value.substr(3, 2), std::string("\x00\x01", 2));  // schema version 1
  EXPECT_EQ(value.substr(5, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(value.substr(13, 8), std::string("\xff\xff\xff\xff\xff\xff\xff\xfb", 8));
  EXPECT_EQ(value.substr(21, 32), genesis_hash());
  EXPECT_EQ(value.substr(53, 4), std::string("\x00\x00\x00\x05", 4));  // "alice"

  auto decoded = decode_event(value);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(domain::to_unix_ms(decoded.value().event.ts), -5);
}

TEST(EventCodec, RejectsUnknownTypeId) {
  auto encoded = encode_event(make_event(7, domain::SpendReleased{"r-1"}), genesis_hash());
  ASSERT_TRUE(encoded.ok());
  std::string value = encoded.value();
  value[1] = '\x7f';
  value[2] = '\x7f';

  auto decoded = decode_event(value);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error_kind(), ErrorKind::corruption);
  EXPECT_NE(decoded.error().find("unknown event type id 32639"), std::string::npos)
      << decoded.error();
  EXPECT_NE(decoded.error().find("seq 7"), std::string::npos) << decoded.error();
}

TEST(EventCodec, RejectsEveryTruncation) {
  auto encoded = encode_event(make_event(3, domain::SpendCommitted{"r-1", 10}), genesis_hash());
  ASSERT_TRUE(encoded.ok());
  const std::string& value = encoded.value();

  for (std::size_t size = 0; size < value.size(); ++size) {
    auto decoded = decode_event(std::string_view(value).substr(0, size));
    ASSERT_FALSE(decoded.ok()) << "a prefix of " << size << " bytes decoded";
    EXPECT_EQ(decoded.error_kind(), ErrorKind::corruption);
  }
}

TEST(EventCodec, RejectsTrailingBytes) {
  auto encoded = encode_event(make_event(3, domain::SpendReleased{"r-1"}), genesis_hash());
  ASSERT_TRUE(encoded.ok());
  auto decoded = decode_event(encoded.value() + "x");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error_kind(), ErrorKind::corruption);
}

TEST(EventCodec, RejectsUnknownFormatVersion) {
  auto encoded = encode_event(make_event(3, domain::SpendReleased{"r-1"}), genesis_hash());
  ASSERT_TRUE(encoded.ok());
  std::string value = encoded.value();
  value[0] = 2;
  auto decoded = decode_event(value);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("format version 2"), std::string::npos) << decoded.error();
}

TEST(EventCodec, RejectsNewerSchemaVersion) {
  auto encoded = encode_event(make_event(3, domain::SpendReleased{"r-1"}), genesis_hash());
  ASSERT_TRUE(encoded.ok());
  std::string value = encoded.value();
  value[4] = static_cast<char>(domain::event_schema_version + 1);
  auto decoded = decode_event(value);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("schema version"), std::string::npos) << decoded.error();
}

TEST(EventCodec, RejectsDataOfWrongShape) {
  auto encoded = encode_event(make_event(9, domain::SpendReleased{"r-1"}), genesis_hash());
  ASSERT_TRUE(encoded.ok());
  std::string value = encoded.value();
  // Same length, so only the JSON is wrong: {"reservation_id":"r-1"} loses its key.
  auto position = value.find("reservation_id");
  ASSERT_NE(position, std::string::npos);
  value.replace(position, 14, "reservation_xx");

  auto decoded = decode_event(value);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error_kind(), ErrorKind::corruption);
  EXPECT_NE(decoded.error().find("spend_released at seq 9"), std::string::npos) << decoded.error();
}

TEST(EventCodec, RejectsBadPrevHashSize) {
  auto encoded = encode_event(make_event(1, domain::SpendReleased{"r-1"}), "short");
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error_kind(), ErrorKind::invalid_argument);
}

TEST(EventCodec, RejectsInvalidUtf8InData) {
  auto encoded =
      encode_event(make_event(1, domain::SpendReleased{std::string("r-\xff", 3)}), genesis_hash());
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error_kind(), ErrorKind::invalid_argument);
}

TEST(EventKey, SortsBySeqNumerically) {
  std::vector<std::uint64_t> seqs{1, 2, 255, 256, 257, 65535, 65536, 1ull << 32, UINT64_MAX};
  std::vector<std::string> keys;
  for (auto seq : seqs) keys.push_back(encode_event_key("tenant-1", seq));

  for (std::size_t i = 1; i < keys.size(); ++i) {
    EXPECT_LT(keys[i - 1], keys[i]) << "seq " << seqs[i - 1] << " sorts after " << seqs[i];
  }
}

TEST(EventKey, KeepsTenantsApart) {
  // "a" is a prefix of "ab", yet every key of "a" sorts before every key of "ab".
  EXPECT_LT(encode_event_key("a", UINT64_MAX), encode_event_key("ab", 0));
  EXPECT_LT(encode_event_key("a", UINT64_MAX), encode_event_key("a\x01", 0));
}

TEST(EventKey, RoundTripsAndRejectsMalformed) {
  auto key = encode_event_key("tenant-1", 65536);
  EXPECT_EQ(key.size(), 8u + 1 + 8);
  EXPECT_EQ(key.substr(8), std::string("\0\0\0\0\0\0\1\0\0", 9));
  auto decoded = decode_event_key(key);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value().tenant, "tenant-1");
  EXPECT_EQ(decoded.value().seq, 65536u);

  EXPECT_FALSE(decode_event_key("no-separator").ok());
  EXPECT_FALSE(decode_event_key(key.substr(0, key.size() - 1)).ok());
}

TEST(ChainHash, GenesisAndSha256) {
  EXPECT_EQ(genesis_hash(), std::string(32, '\0'));
  // The well-known SHA-256 digest of "abc".
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SnapshotCodec, RoundTripsAndDetectsFlippedBytes) {
  nlohmann::json state{{"last_seq", 42}, {"budget", {{"currency", "EUR"}}}};
  ChainHash head = sha256("event 42");
  auto encoded = encode_snapshot(42, head, state);
  ASSERT_TRUE(encoded.ok()) << encoded.error();

  auto decoded = decode_snapshot(encoded.value());
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value().seq, 42u);
  EXPECT_EQ(decoded.value().chain_head, head);
  EXPECT_EQ(decoded.value().state, state);

  // Flipping any byte after the version, header or body, must fail the checksum.
  for (std::size_t i = 1; i < encoded.value().size(); ++i) {
    std::string damaged = encoded.value();
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    auto result = decode_snapshot(damaged);
    ASSERT_FALSE(result.ok()) << "flipped byte " << i << " went unnoticed";
    EXPECT_EQ(result.error_kind(), ErrorKind::corruption);
  }
  EXPECT_FALSE(decode_snapshot(encoded.value().substr(0, 72)).ok());
}

}  // namespace
}  // namespace bulwark::persistence
