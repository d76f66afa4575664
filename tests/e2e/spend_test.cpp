// Spend limit and durability against a real node: concurrent reservations, crashes with SIGKILL,
// expiry re-armed from the journal, and snapshots across a restart.
#include <atomic>
#include <set>
#include <thread>

#include "domain/time.hpp"
#include "e2e_support.hpp"

namespace bulwark::e2e {
namespace {

struct BudgetTotals {
  std::int64_t reserved_minor = -1;
  std::int64_t committed_minor = -1;
  std::uint64_t last_seq = 0;
};

class SpendE2E : public NodeTest {
 protected:
  // GETs /v1/tenant. Fails the test unless the response is 200 with a budget.
  BudgetTotals read_totals() {
    HttpClient http(node_->port());
    auto response = http.get("/v1/tenant", viewer_);
    BudgetTotals totals;
    EXPECT_EQ(response.status, 200) << "GET /v1/tenant: " << response.describe();
    const json& budget = response.body_json.is_object() ? response.body_json.value("budget", json())
                                                        : json();
    EXPECT_TRUE(budget.is_object()) << "GET /v1/tenant has no budget object: " << response.body;
    if (!budget.is_object()) return totals;
    totals.reserved_minor = budget.value("reserved_minor", std::int64_t{-1});
    totals.committed_minor = budget.value("committed_minor", std::int64_t{-1});
    totals.last_seq = response.body_json.value("last_seq", std::uint64_t{0});
    return totals;
  }

  std::vector<json> read_events() {
    HttpClient http(node_->port());
    std::string error;
    auto events = fetch_all_events(http, viewer_, error);
    EXPECT_EQ(error, "") << "reading the journal over HTTP failed";
    return events;
  }

  HttpResponse reserve(HttpClient& http, const std::string& id, std::int64_t amount_minor,
                       std::int64_t ttl_s) {
    return http.post("/v1/reservations",
                     {{"reservation_id", id}, {"amount_minor", amount_minor}, {"ttl_s", ttl_s}},
                     operator_);
  }
};

TEST_F(SpendE2E, ConcurrentReserve) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget(100'000));

  constexpr int request_count = 50;
  std::vector<HttpResponse> responses(request_count);
  std::vector<std::thread> threads;
  StartGate gate;
  std::atomic<int> connected{0};
  for (int i = 0; i < request_count; ++i) {
    threads.emplace_back([&, i] {
      HttpClient http(node_->port());
      if (http.connect()) connected++;
      gate.wait();
      responses[i] = reserve(http, "r-" + std::to_string(i), 3'000, 600);
    });
  }
  gate.open();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(connected.load(), request_count) << "some clients could not connect";

  int created = 0;
  int limit_exceeded = 0;
  for (int i = 0; i < request_count; ++i) {
    const auto& response = responses[i];
    if (response.status == 201) {
      created++;
    } else if (response.status == 409 && response.error_code() == "limit_exceeded") {
      limit_exceeded++;
    } else {
      ADD_FAILURE() << "reservation r-" << i << " got neither 201 nor 409 limit_exceeded: "
                    << response.describe();
    }
  }
  EXPECT_EQ(created, 33) << "1000.00 fits exactly 33 reservations of 30.00";
  EXPECT_EQ(limit_exceeded, 17) << "the other 17 reservations must be rejected";

  BudgetTotals before = read_totals();
  EXPECT_EQ(before.reserved_minor + before.committed_minor, 99'000)
      << "GET /v1/tenant reserved + committed";
  auto events = read_events();
  EXPECT_EQ(sum_amounts(events, "spend_reserved"), 99'000) << "sum of spend_reserved amounts";
  EXPECT_EQ(count_type(events, "spend_reserved"), 33u) << "spend_reserved events in the journal";

  node_->kill();
  ASSERT_NO_FATAL_FAILURE(restart_node());

  BudgetTotals after = read_totals();
  EXPECT_EQ(after.reserved_minor + after.committed_minor, 99'000)
      << "reserved + committed after SIGKILL and restart";
  EXPECT_EQ(after.last_seq, before.last_seq) << "last_seq after SIGKILL and restart";
  auto events_after = read_events();
  EXPECT_EQ(sum_amounts(events_after, "spend_reserved"), 99'000)
      << "sum of spend_reserved amounts after restart";
}

TEST_F(SpendE2E, AcknowledgedSurvivesKill) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget(100'000));

  HttpClient http(node_->port());
  auto response = reserve(http, "r-short", 2'500, 4);
  ASSERT_EQ(response.status, 201) << "reserve with ttl_s 4: " << response.describe();
  node_->kill();

  auto expires_text = response.body_json.value("expires_at", std::string());
  auto expires_at = domain::parse_rfc3339(expires_text);
  ASSERT_TRUE(expires_at.has_value())
      << "the 201 body has no RFC 3339 expires_at: " << response.body;

  ASSERT_NO_FATAL_FAILURE(restart_node());
  auto events = read_events();
  std::size_t reserved = 0;
  for (const auto& event : events) {
    if (event_type(event) == "spend_reserved" &&
        event["data"].value("reservation_id", "") == "r-short") {
      reserved++;
    }
  }
  EXPECT_EQ(reserved, 1u) << "the acknowledged reservation must be in the journal once";

  // Polls for the expiry that the restarted node re-arms from the journal.
  std::optional<json> expired;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!expired && std::chrono::steady_clock::now() < deadline) {
    for (const auto& event : read_events()) {
      if (event_type(event) == "spend_expired" &&
          event["data"].value("reservation_id", "") == "r-short") {
        expired = event;
      }
    }
    if (!expired) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(expired.has_value()) << "no spend_expired for r-short within 20 s of the restart";

  auto expired_at = domain::parse_rfc3339(expired->value("ts", std::string()));
  ASSERT_TRUE(expired_at.has_value()) << "spend_expired has no RFC 3339 ts: " << expired->dump();
  EXPECT_GE(*expired_at, *expires_at)
      << "expired at " << expired->value("ts", "") << ", before its deadline " << expires_text;
  EXPECT_LE(*expired_at, *expires_at + 3s)
      << "expired at " << expired->value("ts", "") << ", long after its deadline "
      << expires_text;

  BudgetTotals totals = read_totals();
  EXPECT_EQ(totals.reserved_minor, 0) << "reserved_minor after the reservation expired";
}

TEST_F(SpendE2E, AcknowledgedStreamSurvivesKill) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget(1'000'000'000'000));

  constexpr int thread_count = 6;
  constexpr int requests_per_thread_max = 400;
  std::vector<std::vector<std::string>> acknowledged(thread_count);
  std::atomic<int> responded{0};
  std::atomic<int> interrupted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      HttpClient http(node_->port(), 5s);
      for (int i = 0; i < requests_per_thread_max; ++i) {
        std::string id = "s-" + std::to_string(t) + "-" + std::to_string(i);
        auto response = reserve(http, id, 100 + t, 3600);
        if (response.status == 0) {  // the node is gone, maybe with this request in flight
          interrupted++;
          return;
        }
        if (response.status == 201) acknowledged[t].push_back(id);
        responded++;
      }
    });
  }
  // Kills the node once the stream is well under way, so requests are in flight.
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (responded.load() < 150 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  node_->kill();
  for (auto& thread : threads) thread.join();
  ASSERT_GE(responded.load(), 150) << "too few responses before the kill to test anything";
  EXPECT_GT(interrupted.load(), 0) << "the kill must land while requests are still being sent";

  ASSERT_NO_FATAL_FAILURE(restart_node());
  auto events = read_events();
  EXPECT_EQ(check_gap_free(events), "") << "journal seqs after SIGKILL must be gap-free";

  std::map<std::string, int> reserved_counts;
  for (const auto& event : events) {
    if (event_type(event) == "spend_reserved") {
      reserved_counts[event["data"].value("reservation_id", "")]++;
    }
  }
  std::size_t total_acknowledged = 0;
  for (int t = 0; t < thread_count; ++t) {
    for (const auto& id : acknowledged[t]) {
      total_acknowledged++;
      EXPECT_EQ(reserved_counts[id], 1) << "acknowledged reservation " << id
                                        << " must be in the journal exactly once";
    }
  }
  for (const auto& [id, count] : reserved_counts) {
    EXPECT_EQ(count, 1) << "reservation " << id << " is journaled " << count << " times";
  }
  EXPECT_GE(reserved_counts.size(), total_acknowledged)
      << "the journal holds fewer reservations than were acknowledged";

  BudgetTotals totals = read_totals();
  EXPECT_EQ(totals.reserved_minor, sum_amounts(events, "spend_reserved"))
      << "recovered reserved_minor must equal the journal's reservations";
  EXPECT_EQ(totals.last_seq, events.size()) << "recovered last_seq must equal the journal length";
}

TEST_F(SpendE2E, SnapshotThenRestart) {
  NodeOptions options;
  options.snapshot_every = 10;
  ASSERT_NO_FATAL_FAILURE(start_node(options));
  ASSERT_NO_FATAL_FAILURE(set_budget(10'000'000));

  HttpClient http(node_->port());
  // The budget is seq 1, so 34 reservations make 35 events: snapshots at 10, 20 and 30.
  for (int i = 0; i < 34; ++i) {
    auto response = reserve(http, "before-" + std::to_string(i), 100, 3600);
    ASSERT_EQ(response.status, 201) << "reservation " << i << ": " << response.describe();
  }
  EXPECT_EQ(read_totals().last_seq, 35u) << "last_seq before the restart";
  EXPECT_EQ(node_->stop(), 0) << "the node must exit 0 on SIGTERM";

  ASSERT_NO_FATAL_FAILURE(restart_node());
  BudgetTotals recovered = read_totals();
  EXPECT_EQ(recovered.last_seq, 35u) << "last_seq after the restart";
  EXPECT_EQ(recovered.reserved_minor, 3'400) << "reserved_minor after the restart";

  HttpClient http_after(node_->port());
  for (int i = 0; i < 10; ++i) {
    auto response = reserve(http_after, "after-" + std::to_string(i), 100, 3600);
    ASSERT_EQ(response.status, 201) << "reservation after restart " << i << ": "
                                    << response.describe();
  }
  // A repeat of an old id writes nothing, because recovery from the snapshot must know the id.
  auto repeat = reserve(http_after, "before-3", 100, 3600);
  EXPECT_EQ(repeat.status, 201) << "repeated reservation: " << repeat.describe();

  BudgetTotals totals = read_totals();
  EXPECT_EQ(totals.last_seq, 45u) << "last_seq after 10 more reservations";
  EXPECT_EQ(totals.reserved_minor, 4'400) << "each reservation counted once";
  auto events = read_events();
  EXPECT_EQ(events.size(), 45u) << "journal length over HTTP";
  EXPECT_EQ(check_gap_free(events), "") << "journal seqs must be gap-free";
  EXPECT_EQ(node_->stop(), 0) << "the node must exit 0 on SIGTERM";

  auto replay = NodeProcess::run_tool({"replay", "--data", node_->data_dir(), "--verify"});
  EXPECT_EQ(replay.exit_code, 0) << "replay --verify output:\n" << replay.output;

  auto inspect = NodeProcess::run_tool(
      {"inspect", "--data", node_->data_dir(), "snapshot", tenant_id, "--format", "json"});
  ASSERT_EQ(inspect.exit_code, 0) << "inspect snapshot output:\n" << inspect.output;
  auto parsed = parse_tool_json(inspect.standard_output);
  EXPECT_TRUE(parsed.strict.is_object())
      << "stdout of inspect snapshot --format json must contain only the JSON document:\n"
      << inspect.output;
  json snapshot = parsed.lenient;
  ASSERT_TRUE(snapshot.is_object()) << "inspect snapshot is not JSON:\n" << inspect.output;
  auto snapshot_seq = snapshot.value("seq", std::uint64_t{0});
  EXPECT_GT(snapshot_seq, 0u) << "snapshot seq";
  EXPECT_EQ(snapshot_seq % 10, 0u) << "snapshot seq " << snapshot_seq
                                   << " must be a multiple of --snapshot-every 10";
  EXPECT_GE(snapshot_seq, 40u) << "the node must keep snapshotting after the restart";
}

}  // namespace
}  // namespace bulwark::e2e
