// Retention and job leases on a real node. The scheduled job deletes old events under its lease,
// replay --verify still passes from the covering snapshot, and recovery works after a restart.
// A lease holder that was taken over cannot commit retention work.
#include <rocksdb/db.h>

#include <thread>

#include "domain/state.hpp"
#include "persistence/journal.hpp"

#include "e2e_support.hpp"

namespace bulwark::e2e {
namespace {

constexpr const char* lease_path = "/v1/platform/leases/retention";
constexpr const char* retention_path = "/v1/platform/retention/acme";

class RetentionE2E : public NodeTest {
 protected:
  void reserve_many(int count) {
    HttpClient http(node_->port());
    for (int i = 0; i < count; ++i) {
      auto response = http.post(
          "/v1/reservations",
          {{"reservation_id", "r-" + std::to_string(i)}, {"amount_minor", 100}, {"ttl_s", 3600}},
          operator_);
      ASSERT_EQ(response.status, 201) << "reservation " << i << ": " << response.describe();
    }
  }

  // Polls the node log until `needle` appears, for at most `timeout`.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (node_->log_tail(400).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // The seq of the first event GET /v1/events still returns, or 0 when it returns none.
  std::uint64_t first_visible_seq() {
    HttpClient http(node_->port());
    auto page = http.get("/v1/events?after=0&limit=1", viewer_);
    EXPECT_EQ(page.status, 200) << page.describe();
    const json& events = page.body_json.value("events", json::array());
    if (events.empty()) return 0;
    return events[0].value("seq", std::uint64_t{0});
  }

  // Acquires the retention lease as `owner`, retrying while the node's own job holds it.
  json acquire(HttpClient& http, const std::string& owner, std::int64_t ttl_ms) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto response = http.post(lease_path, {{"op", "acquire"}, {"owner", owner}, {"ttl_ms", ttl_ms}},
                                platform_);
      if (response.status == 200) return response.body_json;
      EXPECT_EQ(response.error_code(), "lease_held") << response.describe();
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << owner << " could not acquire the retention lease";
    return json::object();
  }

  std::string platform_;
};

TEST_F(RetentionE2E, JobDeletesOldEventsAndReplayVerifies) {
  NodeOptions options;
  options.snapshot_every = 1000;
  options.extra_args = {"--retention", "1s", "--retention-interval", "300ms"};
  ASSERT_NO_FATAL_FAILURE(start_node(options));
  ASSERT_NO_FATAL_FAILURE(set_budget(1'000'000));
  ASSERT_NO_FATAL_FAILURE(reserve_many(30));

  ASSERT_TRUE(wait_for_log("retention_done tenant=acme", 20s))
      << "no retention_done for acme in the log";
  // 0 means every event so far was deleted, which is also past seq 1.
  EXPECT_NE(first_visible_seq(), 1u) << "retention should have deleted the oldest events";

  HttpClient http(node_->port());
  auto before = http.get("/v1/tenant", viewer_);
  ASSERT_EQ(before.status, 200) << before.describe();
  EXPECT_EQ(node_->stop(), 0);

  auto verify = NodeProcess::run_tool({"replay", "--data", node_->data_dir(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << "replay --verify after retention:\n" << verify.output;
  EXPECT_NE(verify.output.find("deleted by retention are covered by the snapshot at seq"),
            std::string::npos)
      << verify.output;

  auto as_json = NodeProcess::run_tool(
      {"replay", "--data", node_->data_dir(), "--tenant", tenant_id, "--verify", "--format",
       "json"});
  EXPECT_EQ(as_json.exit_code, 0) << as_json.output;
  json report = parse_tool_json(as_json.standard_output).lenient;
  ASSERT_TRUE(report.is_object()) << as_json.output;
  const json& row = report["tenants"][0];
  EXPECT_GT(row.value("first_retained_seq", 0), 1) << as_json.output;
  EXPECT_TRUE(row["started_from_snapshot_seq"].is_number()) << as_json.output;

  // Recovery after the deletion rebuilds the same state from the snapshot and later events.
  ASSERT_NO_FATAL_FAILURE(restart_node());
  HttpClient after_restart(node_->port());
  auto after = after_restart.get("/v1/tenant", viewer_);
  ASSERT_EQ(after.status, 200) << after.describe();
  EXPECT_EQ(after.body_json["budget"], before.body_json["budget"]);
  EXPECT_EQ(after.body_json.value("last_seq", 0), before.body_json.value("last_seq", -1));
  auto more = after_restart.post(
      "/v1/reservations", {{"reservation_id", "r-after"}, {"amount_minor", 100}, {"ttl_s", 60}},
      operator_);
  EXPECT_EQ(more.status, 201) << more.describe();
}

TEST_F(RetentionE2E, StaleLeaseHolderCannotCommit) {
  NodeOptions options;
  options.snapshot_every = 5;
  options.extra_args = {"--retention-interval", "0"};
  ASSERT_NO_FATAL_FAILURE(start_node(options));
  platform_ = node_->token("", "ops", gateway::Role::platform);
  ASSERT_NO_FATAL_FAILURE(set_budget(1'000'000));
  ASSERT_NO_FATAL_FAILURE(reserve_many(11));  // seq 12; snapshots at 5 and 10

  HttpClient http(node_->port());
  json first = acquire(http, "runner-a", 300);
  std::uint64_t stale_token = first.value("token", std::uint64_t{0});
  ASSERT_GT(stale_token, 0u) << first.dump();
  std::this_thread::sleep_for(400ms);
  json second = acquire(http, "runner-b", 30'000);
  std::uint64_t token = second.value("token", std::uint64_t{0});
  EXPECT_EQ(token, stale_token + 1) << second.dump();

  auto stale_commit = http.post(retention_path,
                                {{"job", "retention"}, {"owner", "runner-a"},
                                 {"token", stale_token}, {"first_retained_seq", 4}},
                                platform_);
  EXPECT_EQ(stale_commit.status, 409) << stale_commit.describe();
  EXPECT_EQ(stale_commit.error_code(), "lease_fenced") << stale_commit.describe();
  EXPECT_EQ(first_visible_seq(), 1u) << "a fenced commit must delete nothing";

  auto stale_renew = http.post(
      lease_path, {{"op", "renew"}, {"owner", "runner-a"}, {"token", stale_token}, {"ttl_ms", 1000}},
      platform_);
  EXPECT_EQ(stale_renew.error_code(), "lease_fenced") << stale_renew.describe();
  auto stale_release = http.post(
      lease_path, {{"op", "release"}, {"owner", "runner-a"}, {"token", stale_token}}, platform_);
  EXPECT_EQ(stale_release.error_code(), "lease_fenced") << stale_release.describe();

  auto commit = http.post(retention_path,
                          {{"job", "retention"}, {"owner", "runner-b"}, {"token", token},
                           {"first_retained_seq", 4}},
                          platform_);
  EXPECT_EQ(commit.status, 200) << commit.describe();
  EXPECT_EQ(first_visible_seq(), 4u) << "the holder's commit deletes seqs 1..3";

  auto tenant_token = http.post(lease_path, {{"op", "acquire"}, {"owner", "x"}, {"ttl_ms", 10}},
                                operator_);
  EXPECT_EQ(tenant_token.status, 403) << "a tenant token must not reach the leases";

  EXPECT_EQ(node_->stop(), 0);
  auto verify = NodeProcess::run_tool({"replay", "--data", node_->data_dir(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

// Writes six budget events for acme, a snapshot at seq `snapshot_seq` built by folding them, and
// deletes seqs 1..`deleted_through` as retention does.
void write_retained_journal(const std::string& data_dir, std::uint64_t snapshot_seq = 4,
                            std::uint64_t deleted_through = 4) {
  auto opened = persistence::Journal::open(data_dir + "/journal");
  ASSERT_TRUE(opened.ok()) << opened.error();
  auto& journal = *opened.value();
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::vector<domain::Event> events;
  domain::TenantState state;
  for (std::uint64_t seq = 1; seq <= 6; ++seq) {
    domain::BudgetSet budget{static_cast<std::int64_t>(1000 * seq), "EUR", "UTC"};
    events.push_back(domain::Event{seq, now, "writer", "e2e", budget});
    if (seq <= snapshot_seq) domain::apply(state, events.back());
  }
  auto results = journal.append_batch(
      {persistence::AppendRequest{tenant_id, 1, persistence::genesis_hash(), events}});
  ASSERT_TRUE(results.at(0).ok()) << results.at(0).message;
  auto page = journal.read_events(tenant_id, snapshot_seq - 1, 1);
  ASSERT_TRUE(page.ok());
  auto written = journal.write_snapshot(tenant_id, snapshot_seq, page.value().at(0).hash,
                                        domain::state_to_json(state));
  ASSERT_TRUE(written.ok()) << written.error();
  auto deleted = journal.delete_events_through(tenant_id, deleted_through);
  ASSERT_TRUE(deleted.ok()) << deleted.error();
}

// Opens the stopped journal with RocksDB itself and passes the handles of its column families in
// the order default, events, snapshots, meta.
template <typename Edit>
void with_raw_journal(const std::string& data_dir, Edit edit) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : {"default", "events", "snapshots", "meta"}) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::Open(rocksdb::DBOptions(), data_dir + "/journal", families, &handles, &raw)
          .ok());
  edit(*raw, handles);
  for (auto* handle : handles) EXPECT_TRUE(raw->DestroyColumnFamilyHandle(handle).ok());
  delete raw;
}

TEST(RetentionReplayE2E, ReportsSnapshotThatCoversDeletedHistory) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(write_retained_journal(dir.path()));
  auto verify = NodeProcess::run_tool({"replay", "--data", dir.path(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("events 1..4 deleted by retention are covered by the snapshot at "
                               "seq 4"),
            std::string::npos)
      << verify.output;
}

TEST(RetentionReplayE2E, RejectsDeletedHistoryWithoutSnapshot) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(write_retained_journal(dir.path()));
  // Remove the snapshot with RocksDB itself, as a lost or wiped column family would.
  with_raw_journal(dir.path(), [](rocksdb::DB& raw, const auto& handles) {
    ASSERT_TRUE(raw.Delete(rocksdb::WriteOptions(), handles[2], tenant_id).ok());
  });
  auto verify = NodeProcess::run_tool({"replay", "--data", dir.path(), "--verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_NE(verify.output.find("tenant acme: events 1..4 were deleted by retention and no "
                               "snapshot covers them"),
            std::string::npos)
      << verify.output;
}

TEST(RetentionReplayE2E, ChecksChainBeforeSnapshot) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(write_retained_journal(dir.path(), 5, 2));
  auto clean = NodeProcess::run_tool({"replay", "--data", dir.path(), "--verify"});
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_NE(clean.output.find("events 1..2 deleted by retention are covered by the snapshot at "
                              "seq 5"),
            std::string::npos)
      << clean.output;

  // Rewrite retained event 4 with other data, so event 5 no longer continues its hash.
  with_raw_journal(dir.path(), [](rocksdb::DB& raw, const auto& handles) {
    std::string key = persistence::encode_event_key(tenant_id, 4);
    std::string value;
    ASSERT_TRUE(raw.Get(rocksdb::ReadOptions(), handles[1], key, &value).ok());
    auto decoded = persistence::decode_event(value);
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    auto forged = decoded.value().event;
    forged.data = domain::BudgetSet{999'999, "EUR", "UTC"};
    auto encoded = persistence::encode_event(forged, decoded.value().prev_hash);
    ASSERT_TRUE(encoded.ok());
    ASSERT_TRUE(raw.Put(rocksdb::WriteOptions(), handles[1], key, encoded.value()).ok());
  });
  auto tampered = NodeProcess::run_tool({"replay", "--data", dir.path(), "--verify"});
  EXPECT_EQ(tampered.exit_code, 1) << tampered.output;
  EXPECT_NE(tampered.output.find("retained event seq 5 does not continue seq 4"),
            std::string::npos)
      << tampered.output;
}

}  // namespace
}  // namespace bulwark::e2e
