// The `bulwark replay` and `bulwark inspect` tools on journals written directly and by a live node.
#include "domain/time.hpp"
#include "e2e_support.hpp"
#include "persistence/journal.hpp"

namespace bulwark::e2e {
namespace {

domain::Event make_event(std::uint64_t seq, domain::TimePoint ts, domain::EventData data) {
  return domain::Event{seq, ts, "writer", "e2e-" + std::to_string(seq), std::move(data)};
}

// A budget of 1000 minor units today, then one reservation per entry of `amounts`.
std::vector<domain::Event> budget_then_reservations(const std::vector<std::int64_t>& amounts) {
  auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now());
  std::string day = domain::local_day(now, "Europe/Berlin");
  std::vector<domain::Event> events;
  events.push_back(make_event(1, now, domain::BudgetSet{1'000, "EUR", "Europe/Berlin"}));
  for (std::size_t i = 0; i < amounts.size(); ++i) {
    domain::SpendReserved reserved{"r-" + std::to_string(i + 1), amounts[i], day, now + 1h, 3600,
                                   ""};
    events.push_back(make_event(events.size() + 1, now, reserved));
  }
  return events;
}

// Writes `events` as tenant acme's journal under data_dir/journal, where the node keeps it.
void write_journal(const std::string& data_dir, std::vector<domain::Event> events) {
  auto opened = persistence::Journal::open(data_dir + "/journal");
  ASSERT_TRUE(opened.ok()) << "opening the journal failed: " << opened.error();
  auto& journal = *opened.value();
  persistence::AppendRequest request{tenant_id, journal.node_incarnation(),
                                     persistence::genesis_hash(), std::move(events)};
  auto results = journal.append_batch({request});
  ASSERT_EQ(results.size(), 1u) << "append_batch must return one result per request";
  ASSERT_TRUE(results[0].ok()) << "append failed: " << persistence::to_string(results[0].status)
                               << " " << results[0].message;
}

TEST(ToolsE2E, ReplayDetectsViolation) {
  TempDir dir;
  // 600 + 600 on one budget day exceeds the limit of 1000 at the third event.
  ASSERT_NO_FATAL_FAILURE(write_journal(dir.path(), budget_then_reservations({600, 600})));

  auto verify = NodeProcess::run_tool({"replay", "--data", dir.path(), "--verify"});
  EXPECT_EQ(verify.exit_code, 1) << "replay --verify output:\n" << verify.output;
  EXPECT_NE(verify.output.find("seq 3"), std::string::npos)
      << "the output must name seq 3:\n" << verify.output;
  EXPECT_NE(verify.output.find("spend_within_limit"), std::string::npos)
      << "the output must name the invariant:\n" << verify.output;

  auto as_json =
      NodeProcess::run_tool({"replay", "--data", dir.path(), "--verify", "--format", "json"});
  EXPECT_EQ(as_json.exit_code, 1) << "replay --format json output:\n" << as_json.output;
  auto parsed = parse_tool_json(as_json.standard_output);
  EXPECT_TRUE(parsed.strict.is_object())
      << "stdout of replay --format json must contain only the JSON document:\n"
      << as_json.output;
  json report = parsed.lenient;
  ASSERT_TRUE(report.is_object()) << "replay --format json is not JSON:\n" << as_json.output;
  EXPECT_EQ(report.value("ok", true), false) << as_json.output;
  const json& tenants = report.value("tenants", json::array());
  ASSERT_EQ(tenants.size(), 1u) << as_json.output;
  EXPECT_EQ(tenants[0]["violation"].value("seq", 0), 3) << as_json.output;
  EXPECT_EQ(tenants[0]["violation"].value("invariant", ""), "spend_within_limit")
      << as_json.output;
}

TEST(ToolsE2E, ReplayAcceptsCleanJournal) {
  TempDir under_limit;
  ASSERT_NO_FATAL_FAILURE(write_journal(under_limit.path(), budget_then_reservations({600})));
  auto verify = NodeProcess::run_tool({"replay", "--data", under_limit.path(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << "one reservation under the limit:\n" << verify.output;

  TempDir at_limit;
  ASSERT_NO_FATAL_FAILURE(write_journal(at_limit.path(), budget_then_reservations({600, 400})));
  auto exact = NodeProcess::run_tool({"replay", "--data", at_limit.path(), "--verify"});
  EXPECT_EQ(exact.exit_code, 0) << "reservations adding up to exactly the limit:\n"
                                << exact.output;
}

class InspectE2E : public NodeTest {};

TEST_F(InspectE2E, InspectBesideLiveNode) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget(100'000));
  HttpClient http(node_->port());
  for (int i = 0; i < 5; ++i) {
    auto response = http.post(
        "/v1/reservations",
        {{"reservation_id", "r-" + std::to_string(i)}, {"amount_minor", 1'000}, {"ttl_s", 600}},
        operator_);
    ASSERT_EQ(response.status, 201) << "reservation " << i << ": " << response.describe();
  }

  auto tenants = NodeProcess::run_tool(
      {"inspect", "--data", node_->data_dir(), "tenants", "--format", "json"});
  ASSERT_EQ(tenants.exit_code, 0) << "inspect tenants beside a live node:\n" << tenants.output;
  auto parsed_tenants = parse_tool_json(tenants.standard_output);
  EXPECT_TRUE(parsed_tenants.strict.is_object())
      << "stdout of inspect tenants --format json must contain only the JSON document:\n"
      << tenants.output;
  json listed = parsed_tenants.lenient;
  ASSERT_TRUE(listed.is_object()) << "inspect tenants is not JSON:\n" << tenants.output;
  const json& rows = listed.value("tenants", json::array());
  ASSERT_EQ(rows.size(), 1u) << tenants.output;
  EXPECT_EQ(rows[0].value("tenant", ""), tenant_id) << tenants.output;
  EXPECT_EQ(rows[0].value("last_seq", 0), 6) << "budget plus five reservations:\n"
                                             << tenants.output;

  auto table = NodeProcess::run_tool({"inspect", "--data", node_->data_dir(), "tenants"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find(tenant_id), std::string::npos) << table.output;

  auto stats =
      NodeProcess::run_tool({"inspect", "--data", node_->data_dir(), "stats", "--format", "json"});
  ASSERT_EQ(stats.exit_code, 0) << "inspect stats beside a live node:\n" << stats.output;
  auto parsed_stats = parse_tool_json(stats.standard_output);
  EXPECT_TRUE(parsed_stats.strict.is_object())
      << "stdout of inspect stats --format json must contain only the JSON document:\n"
      << stats.output;
  json stats_json = parsed_stats.lenient;
  ASSERT_TRUE(stats_json.is_object()) << "inspect stats is not JSON:\n" << stats.output;
  EXPECT_EQ(stats_json.value("tenants", 0), 1) << stats.output;

  // The tools must not have taken the database lock or disturbed the node.
  auto after = http.post("/v1/reservations",
                         {{"reservation_id", "r-after"}, {"amount_minor", 1'000}, {"ttl_s", 600}},
                         operator_);
  EXPECT_EQ(after.status, 201) << "reservation after inspect: " << after.describe();
}

}  // namespace
}  // namespace bulwark::e2e
