#include "persistence/journal.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "domain/state.hpp"
#include "persistence/event_codec.hpp"
#include "persistence_test_support.hpp"

namespace bulwark::persistence {
namespace {

using testing::make_event;
using testing::make_events;
using testing::open_journal;
using testing::TempDir;
using testing::with_raw_db;

AppendRequest request_for(const std::string& tenant, std::uint64_t epoch, ChainHash prev_hash,
                          std::vector<domain::Event> events) {
  return AppendRequest{tenant, epoch, std::move(prev_hash), std::move(events)};
}

// Appends `count` events to the tenant after its current end and returns the new chain head.
ChainHash append_events(Journal& journal, const std::string& tenant, std::uint64_t first_seq,
                        std::size_t count, const ChainHash& prev_hash, std::uint64_t epoch = 1) {
  auto results =
      journal.append_batch({request_for(tenant, epoch, prev_hash, make_events(first_seq, count))});
  EXPECT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok()) << results[0].message;
  return results[0].chain_head;
}

// Replaces the stored value of one event, as a disk error or an editor with file access would.
void overwrite_event(const std::string& path, const std::string& tenant, std::uint64_t seq,
                     const std::function<void(std::string&)>& edit) {
  with_raw_db(path, [&](rocksdb::DB& db, auto& families) {
    auto key = encode_event_key(tenant, seq);
    std::string value;
    ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), families.at("events"), key, &value).ok());
    edit(value);
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), families.at("events"), key, value).ok());
  });
}

void delete_event(const std::string& path, const std::string& tenant, std::uint64_t seq) {
  with_raw_db(path, [&](rocksdb::DB& db, auto& families) {
    ASSERT_TRUE(
        db.Delete(rocksdb::WriteOptions(), families.at("events"), encode_event_key(tenant, seq))
            .ok());
  });
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Journal, OpenIncrementsIncarnation) {
  TempDir dir;
  EXPECT_EQ(open_journal(dir.db())->node_incarnation(), 1u);
  EXPECT_EQ(open_journal(dir.db())->node_incarnation(), 2u);
  EXPECT_EQ(open_journal(dir.db())->node_incarnation(), 3u);
}

TEST(Journal, SecondWriterCannotOpen) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto second = Journal::open(dir.db());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error_kind(), ErrorKind::io_error);
}

TEST(Journal, AppendThenLoad) {
  TempDir dir;
  ChainHash head;
  {
    auto journal = open_journal(dir.db());
    auto first = append_events(*journal, "t1", 1, 3, genesis_hash());
    head = append_events(*journal, "t1", 4, 2, first);
  }

  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_FALSE(loaded.value().snapshot);
  ASSERT_EQ(loaded.value().events.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(loaded.value().events[i].seq, i + 1);
  EXPECT_EQ(loaded.value().last_seq, 5u);
  EXPECT_EQ(loaded.value().chain_head, head);

  auto expected = make_events(1, 5);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(domain::event_data_to_json(loaded.value().events[i].data),
              domain::event_data_to_json(expected[i].data));
    EXPECT_EQ(loaded.value().events[i].causation_id, expected[i].causation_id);
  }

  // After reopening, the journal finds the tail on disk and accepts the next seq.
  EXPECT_NE(append_events(*journal, "t1", 6, 1, head, 2), head);
}

TEST(Journal, LoadOfUnknownTenantIsEmpty) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("nobody");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_TRUE(loaded.value().events.empty());
  EXPECT_EQ(loaded.value().last_seq, 0u);
  EXPECT_EQ(loaded.value().chain_head, genesis_hash());
}

TEST(Journal, ChainLinksEventToPrevious) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto head = append_events(*journal, "t1", 1, 4, genesis_hash());

  auto page = journal->read_events("t1", 0, 10);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page.value().size(), 4u);
  EXPECT_EQ(page.value()[0].prev_hash, genesis_hash());
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(page.value()[i].prev_hash, page.value()[i - 1].hash) << "seq " << i + 1;
  }
  EXPECT_EQ(page.value()[3].hash, head);
}

TEST(Journal, RejectsSequenceGap) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto head = append_events(*journal, "t1", 1, 2, genesis_hash());

  auto skipped = journal->append_batch({request_for("t1", 1, head, make_events(4, 1))});
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].status, AppendStatus::sequence_gap);
  EXPECT_TRUE(contains(skipped[0].message, "expected 3")) << skipped[0].message;

  auto repeated = journal->append_batch({request_for("t1", 1, head, make_events(2, 1))});
  EXPECT_EQ(repeated[0].status, AppendStatus::sequence_gap);

  auto holes = make_events(3, 3);
  holes[1].seq = 9;
  auto not_contiguous = journal->append_batch({request_for("t1", 1, head, holes)});
  EXPECT_EQ(not_contiguous[0].status, AppendStatus::sequence_gap);

  auto page = journal->read_events("t1", 0, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value().size(), 2u);
}

TEST(Journal, RejectsWrongPrevHash) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  append_events(*journal, "t1", 1, 2, genesis_hash());

  auto results = journal->append_batch({request_for("t1", 1, genesis_hash(), make_events(3, 1))});
  EXPECT_EQ(results[0].status, AppendStatus::chain_mismatch);
  EXPECT_TRUE(contains(results[0].message, "seq 2")) << results[0].message;
}

TEST(Journal, RejectsInvalidRequests) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto results = journal->append_batch({
      request_for("", 1, genesis_hash(), make_events(1, 1)),
      request_for(std::string("a\0b", 3), 1, genesis_hash(), make_events(1, 1)),
      request_for("t1", 1, genesis_hash(), {}),
  });
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) EXPECT_EQ(result.status, AppendStatus::invalid_request);
}

TEST(Journal, StaleEpochRejectedWholeOthersCommit) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto head_a = append_events(*journal, "tenant-a", 1, 1, genesis_hash(), /*epoch=*/5);

  auto results = journal->append_batch({
      request_for("tenant-a", 4, head_a, make_events(2, 3)),
      request_for("tenant-b", 4, genesis_hash(), make_events(1, 2)),
  });
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, AppendStatus::fenced);
  EXPECT_TRUE(contains(results[0].message, "epoch 4")) << results[0].message;
  EXPECT_TRUE(contains(results[0].message, "epoch 5")) << results[0].message;
  EXPECT_TRUE(results[1].ok()) << results[1].message;

  auto a = journal->load_tenant("tenant-a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().last_seq, 1u);
  auto b = journal->load_tenant("tenant-b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value().last_seq, 2u);
  EXPECT_EQ(b.value().chain_head, results[1].chain_head);
}

TEST(Journal, NewerEpochIsRecordedAndFencesOlder) {
  TempDir dir;
  ChainHash head;
  {
    auto journal = open_journal(dir.db());
    head = append_events(*journal, "t1", 1, 1, genesis_hash(), /*epoch=*/1);
    head = append_events(*journal, "t1", 2, 1, head, /*epoch=*/2);
  }

  // The recorded epoch survives a restart, so the old writer stays fenced.
  auto journal = open_journal(dir.db());
  auto stale = journal->append_batch({request_for("t1", 1, head, make_events(3, 1))});
  EXPECT_EQ(stale[0].status, AppendStatus::fenced);
  auto current = journal->append_batch({request_for("t1", 2, head, make_events(3, 1))});
  EXPECT_TRUE(current[0].ok()) << current[0].message;

  auto stats = journal->tenant_stats("t1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().writer_epoch, std::optional<std::uint64_t>(2));
}

TEST(Journal, BatchChecksRequestsOfOneTenantInOrder) {
  TempDir dir;
  auto journal = open_journal(dir.db());

  auto first = make_events(1, 2);
  auto first_value = encode_event(first[0], genesis_hash());
  ASSERT_TRUE(first_value.ok());
  auto second_prev = sha256(encode_event(first[1], sha256(first_value.value())).value());

  auto results = journal->append_batch({
      request_for("t1", 1, genesis_hash(), first),
      request_for("t1", 1, second_prev, make_events(3, 2)),
      request_for("t1", 1, second_prev, make_events(3, 1)),  // repeats seq 3: a gap
  });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok()) << results[0].message;
  EXPECT_EQ(results[0].chain_head, second_prev);
  EXPECT_TRUE(results[1].ok()) << results[1].message;
  EXPECT_EQ(results[2].status, AppendStatus::sequence_gap);

  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded.value().last_seq, 4u);
  EXPECT_EQ(loaded.value().chain_head, results[1].chain_head);
}

TEST(Journal, TamperedEventIsNamedOnLoad) {
  TempDir dir;
  {
    auto journal = open_journal(dir.db());
    append_events(*journal, "t1", 1, 5, genesis_hash());
  }
  // Change one byte of the principal of seq 3: the value still decodes, so only the chain
  // can tell, at seq 4, whose prev hash no longer matches.
  overwrite_event(dir.db(), "t1", 3, [](std::string& value) {
    auto position = value.find("alice");
    ASSERT_NE(position, std::string::npos);
    value[position] = 'm';
  });

  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error_kind(), ErrorKind::corruption);
  EXPECT_TRUE(contains(loaded.error(), "tenant t1")) << loaded.error();
  EXPECT_TRUE(contains(loaded.error(), "broken at seq 4")) << loaded.error();
  EXPECT_TRUE(contains(loaded.error(), "seq 3")) << loaded.error();
}

TEST(Journal, UndecodableEventIsNamedOnLoad) {
  TempDir dir;
  {
    auto journal = open_journal(dir.db());
    append_events(*journal, "t1", 1, 3, genesis_hash());
  }
  overwrite_event(dir.db(), "t1", 2, [](std::string& value) { value[2] = '\x63'; });

  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error_kind(), ErrorKind::corruption);
  EXPECT_TRUE(contains(loaded.error(), "tenant t1 seq 2")) << loaded.error();
  EXPECT_TRUE(contains(loaded.error(), "unknown event type id 99")) << loaded.error();

  auto page = journal->read_events("t1", 0, 10);
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(contains(page.error(), "seq 2")) << page.error();
}

TEST(Journal, RemovedMiddleEventIsNamedOnLoad) {
  TempDir dir;
  {
    auto journal = open_journal(dir.db());
    append_events(*journal, "t1", 1, 5, genesis_hash());
  }
  delete_event(dir.db(), "t1", 3);

  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error_kind(), ErrorKind::corruption);
  EXPECT_TRUE(contains(loaded.error(), "tenant t1 has a gap")) << loaded.error();
  EXPECT_TRUE(contains(loaded.error(), "expected seq 3, found seq 4")) << loaded.error();
}

TEST(Journal, SnapshotRoundTripAndLaterEvents) {
  TempDir dir;
  nlohmann::json state{{"last_seq", 3}, {"marker", "after three events"}};
  ChainHash head_at_3;
  ChainHash head_at_5;
  {
    auto journal = open_journal(dir.db());
    head_at_3 = append_events(*journal, "t1", 1, 3, genesis_hash());
    auto written = journal->write_snapshot("t1", 3, head_at_3, state);
    ASSERT_TRUE(written.ok()) << written.error();
    head_at_5 = append_events(*journal, "t1", 4, 2, head_at_3);
  }

  auto journal = open_journal(dir.db());
  auto snapshot = journal->read_snapshot("t1");
  ASSERT_TRUE(snapshot.ok()) << snapshot.error();
  ASSERT_TRUE(snapshot.value());
  EXPECT_EQ(snapshot.value()->seq, 3u);
  EXPECT_EQ(snapshot.value()->chain_head, head_at_3);
  EXPECT_EQ(snapshot.value()->state, state);

  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded.value().snapshot);
  EXPECT_EQ(loaded.value().snapshot->seq, 3u);
  EXPECT_EQ(loaded.value().snapshot->state, state);
  ASSERT_EQ(loaded.value().events.size(), 2u);
  EXPECT_EQ(loaded.value().events[0].seq, 4u);
  EXPECT_EQ(loaded.value().events[1].seq, 5u);
  EXPECT_EQ(loaded.value().chain_head, head_at_5);
}

TEST(Journal, SnapshotOfRealStateFeedsRecovery) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto events = make_events(1, 1);
  events[0].data = domain::BudgetSet{100'000, "EUR", "Europe/Berlin"};
  auto appended = journal->append_batch({request_for("t1", 1, genesis_hash(), events)});
  ASSERT_TRUE(appended[0].ok()) << appended[0].message;

  domain::TenantState state;
  domain::apply(state, events[0]);
  auto written =
      journal->write_snapshot("t1", 1, appended[0].chain_head, domain::state_to_json(state));
  ASSERT_TRUE(written.ok()) << written.error();

  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded.value().snapshot);
  EXPECT_TRUE(domain::state_from_json(loaded.value().snapshot->state) == state);
}

TEST(Journal, CorruptSnapshotFallsBackToFullReplay) {
  TempDir dir;
  ChainHash head;
  {
    auto journal = open_journal(dir.db());
    auto head_at_2 = append_events(*journal, "t1", 1, 2, genesis_hash());
    ASSERT_TRUE(journal->write_snapshot("t1", 2, head_at_2, {{"last_seq", 2}}).ok());
    head = append_events(*journal, "t1", 3, 2, head_at_2);
  }
  with_raw_db(dir.db(), [](rocksdb::DB& db, auto& families) {
    std::string value;
    ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), families.at("snapshots"), "t1", &value).ok());
    value.back() = static_cast<char>(value.back() ^ 0x20);
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), families.at("snapshots"), "t1", value).ok());
  });

  auto journal = open_journal(dir.db());
  auto snapshot = journal->read_snapshot("t1");
  ASSERT_FALSE(snapshot.ok());
  EXPECT_EQ(snapshot.error_kind(), ErrorKind::corruption);

  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_FALSE(loaded.value().snapshot);
  ASSERT_EQ(loaded.value().events.size(), 4u);
  EXPECT_EQ(loaded.value().events.front().seq, 1u);
  EXPECT_EQ(loaded.value().chain_head, head);
}

TEST(Journal, SnapshotWithWrongChainHeadIsRejected) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  auto head = append_events(*journal, "t1", 1, 2, genesis_hash());

  auto wrong_head = journal->write_snapshot("t1", 2, genesis_hash(), {{"last_seq", 2}});
  ASSERT_FALSE(wrong_head.ok());
  EXPECT_EQ(wrong_head.error_kind(), ErrorKind::invalid_argument);

  auto beyond_end = journal->write_snapshot("t1", 3, head, {{"last_seq", 3}});
  ASSERT_FALSE(beyond_end.ok());
  EXPECT_EQ(beyond_end.error_kind(), ErrorKind::invalid_argument);

  ASSERT_TRUE(journal->write_snapshot("t1", 2, head, {{"last_seq", 2}}).ok());
  auto page = journal->read_events("t1", 0, 1);
  ASSERT_TRUE(page.ok());
  auto older = journal->write_snapshot("t1", 1, page.value()[0].hash, {{"last_seq", 1}});
  ASSERT_FALSE(older.ok());
  EXPECT_TRUE(contains(older.error(), "older than the stored one at seq 2")) << older.error();
}

TEST(Journal, ReadOnlyOpenBesideLiveWriter) {
  TempDir dir;
  auto writer = open_journal(dir.db());
  auto head = append_events(*writer, "t1", 1, 3, genesis_hash());

  auto opened = Journal::open_read_only(dir.db());
  ASSERT_TRUE(opened.ok()) << opened.error();
  auto& reader = *opened.value();
  EXPECT_TRUE(reader.read_only());
  EXPECT_EQ(reader.node_incarnation(), writer->node_incarnation());

  auto loaded = reader.load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded.value().last_seq, 3u);
  EXPECT_EQ(loaded.value().chain_head, head);

  auto rejected = reader.append_batch({request_for("t1", 9, head, make_events(4, 1))});
  EXPECT_EQ(rejected[0].status, AppendStatus::invalid_request);
  EXPECT_FALSE(reader.write_snapshot("t1", 3, head, {}).ok());

  // The writer keeps working while the reader is open.
  append_events(*writer, "t1", 4, 1, head);
  auto after = writer->load_tenant("t1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.value().last_seq, 4u);
}

TEST(Journal, ReadOnlyOpenOfMissingPathFails) {
  TempDir dir;
  auto opened = Journal::open_read_only(dir.path() + "/absent");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error_kind(), ErrorKind::not_found);
}

TEST(Journal, InjectedWriteFailureFailsWholeBatch) {
  TempDir dir;
  std::atomic<bool> fail{false};
  JournalOptions options;
  options.inject_write_failure = [&fail] { return fail.load(); };
  auto journal = open_journal(dir.db(), options);
  auto head_a = append_events(*journal, "tenant-a", 1, 2, genesis_hash());

  fail = true;
  auto results = journal->append_batch({
      request_for("tenant-a", 1, head_a, make_events(3, 2)),
      request_for("tenant-b", 1, genesis_hash(), make_events(1, 1)),
  });
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, AppendStatus::io_error);
  EXPECT_EQ(results[1].status, AppendStatus::io_error);
  EXPECT_FALSE(journal->write_snapshot("tenant-a", 2, head_a, {}).ok());

  fail = false;
  auto a = journal->load_tenant("tenant-a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().last_seq, 2u);
  auto b = journal->load_tenant("tenant-b");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b.value().events.empty());
  auto snapshot = journal->read_snapshot("tenant-a");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_FALSE(snapshot.value());

  // The same append succeeds once writes work again.
  auto retried = journal->append_batch({request_for("tenant-a", 1, head_a, make_events(3, 2))});
  EXPECT_TRUE(retried[0].ok()) << retried[0].message;
}

TEST(Journal, ReadEventsPagesWithinLimit) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  append_events(*journal, "t1", 1, 7, genesis_hash());
  append_events(*journal, "t10", 1, 2, genesis_hash());

  auto first = journal->read_events("t1", 0, 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.value().size(), 3u);
  EXPECT_EQ(first.value().back().event.seq, 3u);

  auto rest = journal->read_events("t1", 3, 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest.value().size(), 4u);
  EXPECT_EQ(rest.value().front().event.seq, 4u);
  EXPECT_EQ(rest.value().back().event.seq, 7u);

  auto none = journal->read_events("t1", 7, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
  auto zero = journal->read_events("t1", 0, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero.value().empty());
}

TEST(Journal, ListsTenantsAndStats) {
  TempDir dir;
  auto journal = open_journal(dir.db());
  append_events(*journal, "beta", 1, 300, genesis_hash());
  append_events(*journal, "alpha", 1, 2, genesis_hash(), /*epoch=*/7);
  append_events(*journal, "alpha-2", 1, 1, genesis_hash());

  auto tenants = journal->list_tenants();
  ASSERT_TRUE(tenants.ok()) << tenants.error();
  EXPECT_EQ(tenants.value(), (std::vector<std::string>{"alpha", "alpha-2", "beta"}));

  auto beta = journal->tenant_stats("beta");
  ASSERT_TRUE(beta.ok()) << beta.error();
  EXPECT_EQ(beta.value().first_seq, 1u);
  EXPECT_EQ(beta.value().last_seq, 300u);
  EXPECT_EQ(beta.value().event_count, 300u);
  EXPECT_GT(beta.value().approximate_bytes, 0u);
  EXPECT_FALSE(beta.value().snapshot_seq);

  auto alpha = journal->tenant_stats("alpha");
  ASSERT_TRUE(alpha.ok());
  EXPECT_EQ(alpha.value().event_count, 2u);
  EXPECT_EQ(alpha.value().writer_epoch, std::optional<std::uint64_t>(7));

  auto absent = journal->tenant_stats("gamma");
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent.value().event_count, 0u);

  auto stats = journal->database_stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().node_incarnation, 1u);
  EXPECT_EQ(stats.value().column_families.size(), 4u);
}

}  // namespace
}  // namespace bulwark::persistence

namespace bulwark::persistence {
namespace {

TEST(Journal, RetentionKeepsChainProvable) {
  TempDir dir;
  ChainHash head_at_6;
  {
    auto journal = open_journal(dir.db());
    auto head_at_4 = append_events(*journal, "t1", 1, 4, genesis_hash());
    head_at_6 = append_events(*journal, "t1", 5, 2, head_at_4);

    auto uncovered = journal->delete_events_through("t1", 3);
    ASSERT_FALSE(uncovered.ok());
    EXPECT_EQ(uncovered.error_kind(), ErrorKind::invalid_argument);

    ASSERT_TRUE(journal->write_snapshot("t1", 4, head_at_4, {{"last_seq", 4}}).ok());
    auto removed = journal->delete_events_through("t1", 3);
    ASSERT_TRUE(removed.ok()) << removed.error();
    EXPECT_EQ(removed.value(), 3u);
    auto again = journal->delete_events_through("t1", 3);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value(), 0u);
  }

  auto journal = open_journal(dir.db());
  auto stats = journal->tenant_stats("t1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().first_seq, 4u);
  EXPECT_EQ(stats.value().event_count, 3u);

  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded.value().snapshot);
  ASSERT_EQ(loaded.value().events.size(), 2u);
  EXPECT_EQ(loaded.value().events.front().seq, 5u);
  EXPECT_EQ(loaded.value().chain_head, head_at_6);
}

TEST(Journal, SnapshotOnlyTenantContinuesAfterRetention) {
  TempDir dir;
  ChainHash head;
  {
    auto journal = open_journal(dir.db());
    head = append_events(*journal, "t1", 1, 3, genesis_hash());
    ASSERT_TRUE(journal->write_snapshot("t1", 3, head, {{"last_seq", 3}}).ok());
    auto removed = journal->delete_events_through("t1", 3);
    ASSERT_TRUE(removed.ok()) << removed.error();
    EXPECT_EQ(removed.value(), 3u);
  }

  auto journal = open_journal(dir.db());
  auto tenants = journal->list_tenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(tenants.value(), std::vector<std::string>{"t1"});

  // A fresh process finds the stream's end in the snapshot and accepts seq 4 chained to it.
  auto appended = journal->append_batch({request_for("t1", 2, head, make_events(4, 1))});
  ASSERT_TRUE(appended[0].ok()) << appended[0].message;
  auto loaded = journal->load_tenant("t1");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded.value().events.size(), 1u);
  EXPECT_EQ(loaded.value().events[0].seq, 4u);
}

TEST(Journal, CorruptSnapshotAfterRetentionFailsLoudly) {
  TempDir dir;
  {
    auto journal = open_journal(dir.db());
    append_events(*journal, "t1", 1, 4, genesis_hash());
    auto second = journal->read_events("t1", 1, 1);
    ASSERT_TRUE(second.ok());
    ASSERT_EQ(second.value().size(), 1u);
    ASSERT_TRUE(journal->write_snapshot("t1", 2, second.value()[0].hash, {{"last_seq", 2}}).ok());
    ASSERT_TRUE(journal->delete_events_through("t1", 2).ok());
  }
  with_raw_db(dir.db(), [](rocksdb::DB& db, auto& families) {
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), families.at("snapshots"), "t1", "garbage").ok());
  });

  auto journal = open_journal(dir.db());
  auto loaded = journal->load_tenant("t1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(contains(loaded.error(), "expected seq 1, found seq 3")) << loaded.error();
}

// A separate process holds the RocksDB lock, as a live node does while `bulwark inspect` runs.
TEST(Journal, ReadOnlyOpenBesideWriterProcess) {
  TempDir dir;
  int ready[2];
  int done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Close the parent's ends, or the read below would never see end of file.
    ::close(ready[0]);
    ::close(done[1]);
    int code = 1;
    {
      auto opened = Journal::open(dir.db());
      if (opened.ok()) {
        auto results =
            opened.value()->append_batch({request_for("t1", 1, genesis_hash(), make_events(1, 2))});
        code = results[0].ok() ? 0 : 2;
        char byte = 'x';
        if (::write(ready[1], &byte, 1) != 1) code = 3;
        // Keep the database open until the parent has finished reading.
        if (::read(done[0], &byte, 1) < 0) code = 4;
      }
    }
    ::_exit(code);
  }

  ::close(ready[1]);
  ::close(done[0]);
  // Releases the writer even when an assertion below returns early, so it never outlives the test.
  struct ReleaseWriter {
    int fd;
    pid_t pid;
    ~ReleaseWriter() {
      if (fd < 0) return;
      ::close(fd);
      ::waitpid(pid, nullptr, 0);
    }
  } release{done[1], child};
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "writer process did not open the journal";

  EXPECT_FALSE(Journal::open(dir.db()).ok()) << "a second writer must not get the lock";
  {
    auto reader = Journal::open_read_only(dir.db());
    ASSERT_TRUE(reader.ok()) << reader.error();
    auto loaded = reader.value()->load_tenant("t1");
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(loaded.value().last_seq, 2u);
  }

  ::close(done[1]);
  release.fd = -1;
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(ready[0]);
}

}  // namespace
}  // namespace bulwark::persistence
