// Journal support for retention: the range delete, the first retained seq it records, the
// boundary search by timestamp, and recovery after a deletion.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence_test_support.hpp"

namespace bulwark::persistence {
namespace {

using testing::make_events;
using testing::open_journal;
using testing::TempDir;
using testing::test_time;
using testing::with_raw_db;

// Appends events first_seq .. first_seq + count - 1 and returns the new chain head.
ChainHash append(Journal& journal, const std::string& tenant, std::uint64_t first_seq,
                 std::size_t count, const ChainHash& prev_hash) {
  auto results = journal.append_batch(
      {AppendRequest{tenant, 1, prev_hash, make_events(first_seq, count)}});
  EXPECT_TRUE(results.at(0).ok()) << results.at(0).message;
  return results.at(0).chain_head;
}

ChainHash hash_of(const Journal& journal, const std::string& tenant, std::uint64_t seq) {
  auto page = journal.read_events(tenant, seq - 1, 1);
  EXPECT_TRUE(page.ok());
  EXPECT_EQ(page.value().size(), 1u);
  return page.value().at(0).hash;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(JournalRetention, RecordsFirstRetainedSeq) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto head = append(*journal, "t1", 1, 10, genesis_hash());
  EXPECT_EQ(journal->first_retained_seq("t1").value(), 1u);

  ASSERT_TRUE(journal->write_snapshot("t1", 10, head, {{"last_seq", 10}}).ok());
  auto removed = journal->delete_events_through("t1", 6);
  ASSERT_TRUE(removed.ok()) << removed.error();
  EXPECT_EQ(removed.value(), 6u);
  EXPECT_EQ(journal->first_retained_seq("t1").value(), 7u);

  auto stats = journal->tenant_stats("t1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().first_seq, 7u);
  EXPECT_EQ(stats.value().first_retained_seq, 7u);
  EXPECT_EQ(stats.value().event_count, 4u);

  // Another tenant's keys share the column family and stay untouched.
  EXPECT_EQ(journal->first_retained_seq("t2").value(), 1u);
}

TEST(JournalRetention, RangeDeleteLeavesOtherTenants) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto head = append(*journal, "t1", 1, 5, genesis_hash());
  append(*journal, "t10", 1, 5, genesis_hash());
  ASSERT_TRUE(journal->write_snapshot("t1", 5, head, {{"last_seq", 5}}).ok());
  ASSERT_TRUE(journal->delete_events_through("t1", 5).ok());

  auto other = journal->read_events("t10", 0, 100);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other.value().size(), 5u);
  auto gone = journal->read_events("t1", 0, 100);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone.value().empty());
}

TEST(JournalRetention, RecoveryAfterDeletionUsesSnapshot) {
  TempDir dir;
  ChainHash head_at_12;
  {
    auto journal = open_journal(dir.db());
    auto head_at_8 = append(*journal, "t1", 1, 8, genesis_hash());
    ASSERT_TRUE(journal->write_snapshot("t1", 8, head_at_8, {{"last_seq", 8}}).ok());
    ASSERT_TRUE(journal->delete_events_through("t1", 5).ok());
    head_at_12 = append(*journal, "t1", 9, 4, head_at_8);
  }

  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded.value().snapshot);
  EXPECT_EQ(loaded.value().snapshot->seq, 8u);
  ASSERT_EQ(loaded.value().events.size(), 4u);
  EXPECT_EQ(loaded.value().events.front().seq, 9u);
  EXPECT_EQ(loaded.value().last_seq, 12u);
  EXPECT_EQ(loaded.value().chain_head, head_at_12);
  EXPECT_EQ(journal->first_retained_seq("t1").value(), 6u);
}

TEST(JournalRetention, LostSnapshotNamesDeletedRange) {
  TempDir dir;
  {
    auto journal = open_journal(dir.db());
    append(*journal, "t1", 1, 6, genesis_hash());
    ASSERT_TRUE(journal->write_snapshot("t1", 4, hash_of(*journal, "t1", 4), {{"last_seq", 4}})
                    .ok());
    ASSERT_TRUE(journal->delete_events_through("t1", 4).ok());
  }
  with_raw_db(dir.db(), [](rocksdb::DB& db, auto& families) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), families.at("snapshots"), "t1").ok());
  });

  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error_kind(), ErrorKind::corruption);
  EXPECT_TRUE(contains(loaded.error(), "expected seq 1, found seq 5")) << loaded.error();
  EXPECT_TRUE(contains(loaded.error(), "events 1..4 were deleted by retention")) << loaded.error();
}

TEST(JournalRetention, UnplannedGapIsNotBlamedOnRetention) {
  TempDir dir;
  {
    auto journal = open_journal(dir.db());
    append(*journal, "t1", 1, 6, genesis_hash());
  }
  with_raw_db(dir.db(), [](rocksdb::DB& db, auto& families) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), families.at("events"),
                          encode_event_key("t1", 1))
                    .ok());
  });
  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(contains(loaded.error(), "expected seq 1, found seq 2")) << loaded.error();
  EXPECT_FALSE(contains(loaded.error(), "retention")) << loaded.error();
}

TEST(JournalRetention, RejectsDeleteBeyondSnapshot) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  append(*journal, "t1", 1, 6, genesis_hash());
  ASSERT_TRUE(
      journal->write_snapshot("t1", 3, hash_of(*journal, "t1", 3), {{"last_seq", 3}}).ok());
  auto beyond = journal->delete_events_through("t1", 4);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error_kind(), ErrorKind::invalid_argument);
  EXPECT_EQ(journal->first_retained_seq("t1").value(), 1u);
  EXPECT_EQ(journal->tenant_stats("t1").value().first_seq, 1u);
}

TEST(JournalRetention, FindsLastSeqBeforeCutoff) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  append(*journal, "t1", 1, 100, genesis_hash());  // event n has ts test_time(n)

  EXPECT_EQ(journal->last_seq_before("t1", test_time(1), 100).value(), 0u);
  EXPECT_EQ(journal->last_seq_before("t1", test_time(2), 100).value(), 1u);
  EXPECT_EQ(journal->last_seq_before("t1", test_time(51), 100).value(), 50u);
  EXPECT_EQ(journal->last_seq_before("t1", test_time(1000), 100).value(), 100u);
  // The snapshot seq bounds the answer even when later events are older than the cutoff.
  EXPECT_EQ(journal->last_seq_before("t1", test_time(1000), 40).value(), 40u);
  EXPECT_EQ(journal->last_seq_before("empty", test_time(1000), 40).value(), 0u);
}

TEST(JournalRetention, CutoffSearchStartsAtFirstRetained) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto head = append(*journal, "t1", 1, 20, genesis_hash());
  ASSERT_TRUE(journal->write_snapshot("t1", 20, head, {{"last_seq", 20}}).ok());
  ASSERT_TRUE(journal->delete_events_through("t1", 10).ok());
  EXPECT_EQ(journal->last_seq_before("t1", test_time(5), 20).value(), 0u);
  EXPECT_EQ(journal->last_seq_before("t1", test_time(16), 20).value(), 15u);
}

}  // namespace
}  // namespace bulwark::persistence
