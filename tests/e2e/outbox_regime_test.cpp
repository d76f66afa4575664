// End-to-end tests of the outbox, the market-data feed, its circuit breaker and regime alerts.
// Each test starts real `bulwark node` processes plus local HTTP servers on 127.0.0.1: a market
// API that serves the real WTI daily series in a window the test advances, and an alert receiver
// that can fail on demand.
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "domain/market_data.hpp"
#include "e2e_support.hpp"
#include "local_http_server.hpp"

namespace bulwark::e2e {
namespace {

struct SeriesRow {
  std::string date;
  std::string value;
};

std::vector<SeriesRow> load_series(const std::string& file) {
  std::ifstream in(std::string(BULWARK_SHARED_DATA) + "/econ/" + file);
  std::vector<SeriesRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the files use CRLF
    auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    rows.push_back({line.substr(0, comma), line.substr(comma + 1)});
  }
  return rows;
}

std::size_t index_of(const std::vector<SeriesRow>& rows, const std::string& date) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].date == date) return i;
  }
  return rows.size();
}

// A FRED-like market API over a real series. It serves rows [end - window, end) and can be set
// to fail every request.
class SeriesApi {
 public:
  explicit SeriesApi(std::vector<SeriesRow> rows, std::size_t end)
      : rows_(std::move(rows)),
        end_(end),
        server_([this](const LocalRequest&) { return serve(); }) {}

  void advance_to(std::size_t end) { end_ = end; }
  void set_failing(bool failing) { failing_ = failing; }
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  [[nodiscard]] std::uint64_t requests() const { return requests_; }
  [[nodiscard]] std::string url() const { return server_.url("/series/wti"); }

 private:
  LocalResponse serve() {
    requests_++;
    LocalResponse response;
    response.delay = std::chrono::milliseconds(delay_ms_.load());
    if (failing_) {
      response.status = 503;
      response.body = R"({"error": "unavailable"})";
      return response;
    }
    std::size_t end = std::min(end_.load(), rows_.size());
    std::size_t begin = end > window_rows ? end - window_rows : 0;
    json observations = json::array();
    for (std::size_t i = begin; i < end; ++i) {
      observations.push_back({{"date", rows_[i].date}, {"value", rows_[i].value}});
    }
    response.body = json{{"observations", observations}}.dump();
    return response;
  }

  static constexpr std::size_t window_rows = 200;
  std::vector<SeriesRow> rows_;
  std::atomic<std::size_t> end_;
  std::atomic<bool> failing_{false};
  std::atomic<std::int64_t> delay_ms_{0};
  std::atomic<std::uint64_t> requests_{0};
  LocalHttpServer server_;
};

// An alert receiver that deduplicates on Idempotency-Key and fails the first `fail_first`
// requests (or all of them while `down`).
class AlertReceiver {
 public:
  AlertReceiver() : server_([this](const LocalRequest& request) { return receive(request); }) {}

  void fail_first(int count) { fail_remaining_ = count; }
  void set_down(bool down) { down_ = down; }
  [[nodiscard]] std::string url() const { return server_.url("/alerts"); }

  [[nodiscard]] std::vector<LocalRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  [[nodiscard]] std::set<std::string> accepted_keys() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return accepted_;
  }

 private:
  LocalResponse receive(const LocalRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
    LocalResponse response;
    if (down_ || fail_remaining_ > 0) {
      if (fail_remaining_ > 0) fail_remaining_--;
      response.status = 500;
      return response;
    }
    auto key = request.headers.find("idempotency-key");
    if (key == request.headers.end()) {
      response.status = 400;
      return response;
    }
    accepted_.insert(key->second);
    return response;
  }

  mutable std::mutex mutex_;
  std::vector<LocalRequest> requests_;
  std::set<std::string> accepted_;
  int fail_remaining_ = 0;
  bool down_ = false;
  LocalHttpServer server_;
};

// Polls `condition` every 50 ms until it is true or `timeout` passes.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

std::int64_t version_of(const std::string& date) {
  return domain::observation_version(date).value();
}

std::vector<std::string> feed_args(const std::string& series_url) {
  return {"--market-source",        "wti=" + series_url,
          "--market-poll-interval", "100ms",
          "--market-timeout",       "1s",
          "--outbox-retry-base",    "50ms",
          "--outbox-retry-max",     "400ms",
          "--outbox-timeout",       "2s"};
}

// Thresholds around the April 2020 WTI crash: below 10.00 USD is excess supply, above 100.00
// shortage, with a 2.00 USD band.
json wti_regime() {
  return {{"series", "wti"},
          {"thresholds", {{"excess_below_minor", 1000}, {"shortage_above_minor", 10000}}},
          {"hysteresis", {{"band_minor", 200}}}};
}

class OutboxRegimeTest : public NodeTest {
 protected:
  void SetUp() override { rows_ = load_series("wti-daily.csv"); }

  void configure_tenant(const std::string& alerts_url) {
    HttpClient http(node_->port());
    auto alerts = http.put("/v1/tenant/alerts", {{"url", alerts_url}}, admin_);
    ASSERT_EQ(alerts.status, 200) << alerts.describe();
    auto regime = http.put("/v1/tenant/regime", wti_regime(), admin_);
    ASSERT_EQ(regime.status, 200) << regime.describe();
  }

  std::vector<json> events() {
    HttpClient http(node_->port());
    std::string error;
    auto all = fetch_all_events(http, viewer_, error);
    EXPECT_EQ(error, "");
    return all;
  }

  std::size_t count_events(const std::string& type) { return count_type(events(), type); }

  std::vector<SeriesRow> rows_;
};

TEST_F(OutboxRegimeTest, RegimeChangeDeliversOneAlertAfterFailures) {
  std::size_t before_crash = index_of(rows_, "2020-04-20");
  ASSERT_LT(before_crash, rows_.size());
  SeriesApi api(rows_, before_crash);  // up to 2020-04-17: about 18 USD, balanced
  AlertReceiver receiver;
  receiver.fail_first(2);
  NodeOptions options;
  options.extra_args = feed_args(api.url());
  start_node(options);
  configure_tenant(receiver.url());
  ASSERT_TRUE(wait_until([&] { return api.requests() >= 2; })) << "the feed never polled";
  EXPECT_EQ(count_events("regime_changed"), 0u);

  api.advance_to(before_crash + 2);  // adds 2020-04-20 (-36.98) and 2020-04-21 (8.91)
  ASSERT_TRUE(wait_until([&] { return count_events("outbox_delivered") == 1; }))
      << "alert not delivered; receiver saw " << receiver.requests().size() << " requests";

  auto all = events();
  ASSERT_EQ(count_type(all, "regime_changed"), 1u);
  ASSERT_EQ(count_type(all, "outbox_enqueued"), 1u);
  EXPECT_EQ(count_type(all, "outbox_attempt_failed"), 2u);
  json changed;
  std::string key;
  for (const auto& event : all) {
    if (event_type(event) == "regime_changed") changed = event.at("data");
    if (event_type(event) == "outbox_enqueued") {
      key = event.at("data").at("idempotency_key");
      EXPECT_EQ(key, std::string(tenant_id) + ":" + std::to_string(event.at("seq").get<int>()));
      EXPECT_EQ(event.at("data").at("target"), receiver.url());
    }
    if (event_type(event) == "outbox_delivered") EXPECT_EQ(event.at("data").at("attempts"), 3);
  }
  EXPECT_EQ(changed.at("series"), "wti");
  EXPECT_EQ(changed.at("from"), "balanced");
  EXPECT_EQ(changed.at("to"), "imbalanced_excess");
  EXPECT_EQ(changed.at("observation_version"), version_of("2020-04-20"));
  EXPECT_EQ(changed.at("value_minor"), -3698);

  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.headers.at("idempotency-key"), key);
    auto body = json::parse(request.body);
    EXPECT_EQ(body.at("to"), "imbalanced_excess");
    EXPECT_EQ(body.at("tenant"), tenant_id);
  }
  EXPECT_EQ(receiver.accepted_keys(), std::set<std::string>{key});

  HttpClient http(node_->port());
  auto outbox = http.get("/v1/outbox", viewer_);
  ASSERT_EQ(outbox.status, 200) << outbox.describe();
  ASSERT_EQ(outbox.body_json.at("entries").size(), 1u);
  EXPECT_EQ(outbox.body_json.at("entries")[0].at("state"), "delivered");
  EXPECT_EQ(outbox.body_json.at("entries")[0].at("attempts"), 3);
  EXPECT_EQ(outbox.body_json.at("entries")[0].at("idempotency_key"), key);
  auto tenant = http.get("/v1/tenant", viewer_);
  ASSERT_EQ(tenant.status, 200) << tenant.describe();
  EXPECT_EQ(tenant.body_json.at("regime").at("current"), "imbalanced_excess");

  // Replaying the series: a restarted node polls the whole window again from version 0, and the
  // tenant ignores every observation at or below the version of its last change.
  ASSERT_EQ(node_->stop(), 0);
  restart_node();
  std::uint64_t polls = api.requests();
  ASSERT_TRUE(wait_until([&] { return api.requests() >= polls + 3; }));
  std::this_thread::sleep_for(300ms);
  all = events();
  EXPECT_EQ(count_type(all, "regime_changed"), 1u);
  EXPECT_EQ(count_type(all, "outbox_enqueued"), 1u);
  EXPECT_EQ(receiver.accepted_keys().size(), 1u);
}

TEST_F(OutboxRegimeTest, AlertSurvivesKillBeforeDelivery) {
  std::size_t before_crash = index_of(rows_, "2020-04-20");
  SeriesApi api(rows_, before_crash);
  AlertReceiver receiver;
  receiver.set_down(true);
  NodeOptions options;
  options.extra_args = feed_args(api.url());
  start_node(options);
  configure_tenant(receiver.url());
  api.advance_to(before_crash + 2);
  ASSERT_TRUE(wait_until([&] { return count_events("outbox_enqueued") == 1; }));
  ASSERT_TRUE(wait_until([&] { return !receiver.requests().empty(); }));

  // The regime_changed event and its outbox entry are durable; the receiver has confirmed
  // nothing. Kill the node as a crash would.
  node_->kill();
  receiver.set_down(false);
  restart_node();

  ASSERT_TRUE(wait_until([&] { return count_events("outbox_delivered") == 1; }))
      << "alert not re-delivered after restart";
  auto all = events();
  EXPECT_EQ(count_type(all, "regime_changed"), 1u);
  EXPECT_EQ(count_type(all, "outbox_enqueued"), 1u);
  std::string key;
  for (const auto& event : all) {
    if (event_type(event) == "outbox_enqueued") key = event.at("data").at("idempotency_key");
  }
  EXPECT_EQ(receiver.accepted_keys(), std::set<std::string>{key});
  for (const auto& request : receiver.requests()) {
    EXPECT_EQ(request.headers.at("idempotency-key"), key);
  }
}

// Returns the value of a metrics line such as `name{source="wti"} 3`, or -1.
double metric(HttpClient& http, const std::string& line_prefix) {
  auto response = http.get("/metrics");
  std::istringstream lines(response.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(line_prefix + " ", 0) == 0) return std::stod(line.substr(line_prefix.size()));
  }
  return -1;
}

TEST_F(OutboxRegimeTest, BreakerOpensTrialsOnceAndCloses) {
  SeriesApi api(rows_, index_of(rows_, "2020-04-20"));
  api.set_failing(true);
  NodeOptions options;
  options.extra_args = {"--market-source",        "wti=" + api.url(),
                        "--market-poll-interval", "50ms",
                        "--breaker-failures",     "3",
                        "--breaker-cooldown",     "1500ms",
                        "--breaker-cooldown-max", "3s"};
  start_node(options);
  HttpClient http(node_->port());
  const std::string open_line = R"(bulwark_market_breaker_state{source="wti",state="open"})";
  const std::string closed_line = R"(bulwark_market_breaker_state{source="wti",state="closed"})";

  ASSERT_TRUE(wait_until([&] { return metric(http, open_line) == 1; })) << "breaker never opened";
  EXPECT_EQ(api.requests(), 3u) << "the breaker opens after exactly 3 failed polls";

  // While open (1.2 s to 1.5 s of cooldown, jitter included) no poll reaches the source.
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(api.requests(), 3u);

  // After the cooldown exactly one trial runs; it fails, and the breaker opens again for 3 s.
  ASSERT_TRUE(wait_until([&] { return api.requests() == 4u; }, 3s));
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(api.requests(), 4u) << "half_open must let exactly one trial through";
  EXPECT_EQ(metric(http, open_line), 1);
  EXPECT_EQ(metric(http, R"(bulwark_market_breaker_trials_total{source="wti"})"), 1);

  // The inspector reads the same state from the file the node keeps in its data directory.
  auto inspect =
      NodeProcess::run_tool({"inspect", "--data", node_->data_dir(), "stats", "--format", "json"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  json stats = json::parse(inspect.standard_output, nullptr, false);
  ASSERT_FALSE(stats.is_discarded()) << inspect.output;
  const json& wti = stats["market_sources"]["sources"]["wti"];
  EXPECT_EQ(wti.value("state", ""), "open") << inspect.output;
  EXPECT_EQ(wti.value("openings_total", 0), 2) << inspect.output;
  EXPECT_EQ(wti.value("trials_total", 0), 1) << inspect.output;

  // Platform statistics show the breaker too, to the platform role only.
  auto platform = http.get("/v1/platform/stats", node_->token("", "ops", gateway::Role::platform));
  ASSERT_EQ(platform.status, 200) << platform.describe();
  EXPECT_EQ(platform.body_json["market_breakers"].value("wti", ""), "open") << platform.body;

  api.set_failing(false);
  ASSERT_TRUE(wait_until([&] { return metric(http, closed_line) == 1; }, 6s))
      << "breaker did not close after a successful trial";
  EXPECT_EQ(metric(http, R"(bulwark_market_breaker_trials_total{source="wti"})"), 2);
  std::uint64_t after_close = api.requests();
  ASSERT_TRUE(wait_until([&] { return api.requests() >= after_close + 3; }, 3s))
      << "a closed breaker polls on every interval";
  EXPECT_GT(metric(http, R"(bulwark_market_polls_ok_total{source="wti"})"), 0);
}

// Median and 95th percentile of `count` sequential GET /v1/tenant requests, in microseconds.
std::pair<std::int64_t, std::int64_t> tenant_latency(std::uint16_t port, const std::string& token,
                                                     int count) {
  HttpClient http(port);
  std::vector<std::int64_t> samples;
  for (int i = 0; i < count; ++i) {
    auto started = std::chrono::steady_clock::now();
    auto response = http.get("/v1/tenant", token);
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(response.status, 200) << response.describe();
    samples.push_back(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 95 / 100]};
}

TEST_F(OutboxRegimeTest, TenantLatencyFlatDuringOutage) {
  std::size_t end = index_of(rows_, "2020-04-20");
  SeriesApi healthy(rows_, end);
  SeriesApi hung(rows_, end);
  hung.set_delay(1200ms);  // longer than the node's 300 ms poll timeout
  AlertReceiver receiver;

  auto start_with = [&](SeriesApi& api) {
    NodeOptions options;
    options.extra_args = {"--market-source",        "wti=" + api.url(),
                          "--market-poll-interval", "20ms",
                          "--market-timeout",       "300ms",
                          "--breaker-failures",     "1000"};
    auto node = std::make_unique<NodeProcess>(options);
    EXPECT_TRUE(node->start()) << node->last_error();
    return node;
  };
  auto healthy_node = start_with(healthy);
  auto outage_node = start_with(hung);
  for (auto* node : {healthy_node.get(), outage_node.get()}) {
    HttpClient http(node->port());
    auto admin = node->token(tenant_id, "adam", gateway::Role::admin);
    ASSERT_EQ(http.put("/v1/tenant/regime", wti_regime(), admin).status, 200);
  }
  ASSERT_TRUE(wait_until([&] { return hung.requests() >= 2; })) << "outage source not polled";

  const int samples = 300;
  auto healthy_latency = tenant_latency(
      healthy_node->port(), healthy_node->token(tenant_id, "vera", gateway::Role::viewer), samples);
  auto outage_latency = tenant_latency(
      outage_node->port(), outage_node->token(tenant_id, "vera", gateway::Role::viewer), samples);
  std::cout << "tenant latency p50/p95 us: healthy " << healthy_latency.first << "/"
            << healthy_latency.second << ", outage " << outage_latency.first << "/"
            << outage_latency.second << "\n";
  // Generous margins: the two nodes share 2 cores with the servers and the test itself.
  EXPECT_LE(outage_latency.first, healthy_latency.first * 3 + 5000);
  EXPECT_LE(outage_latency.second, healthy_latency.second * 3 + 20000);
  EXPECT_GE(hung.requests(), 2u);
  HttpClient http(outage_node->port());
  EXPECT_GT(metric(http, R"(bulwark_market_polls_failed_total{source="wti"})"), 0);
}

TEST_F(OutboxRegimeTest, RejectsInvalidSettings) {
  start_node();
  HttpClient http(node_->port());
  for (const char* url : {"https://127.0.0.1:9000/alerts", "ftp://x/y", "127.0.0.1:9000"}) {
    auto response = http.put("/v1/tenant/alerts", {{"url", url}}, admin_);
    EXPECT_EQ(response.status, 400) << url;
    EXPECT_EQ(response.error_code(), "invalid_request") << url;
  }
  auto wrong_type = http.put("/v1/tenant/alerts", {{"url", 5}}, admin_);
  EXPECT_EQ(wrong_type.error_code(), "invalid_request");
  auto viewer = http.put("/v1/tenant/alerts", {{"url", "http://127.0.0.1:1/a"}}, viewer_);
  EXPECT_EQ(viewer.status, 403);

  json inverted = wti_regime();
  inverted["thresholds"]["excess_below_minor"] = 20000;
  EXPECT_EQ(http.put("/v1/tenant/regime", inverted, admin_).error_code(), "invalid_request");
  json floating = wti_regime();
  floating["hysteresis"]["band_minor"] = 2.5;
  EXPECT_EQ(http.put("/v1/tenant/regime", floating, admin_).error_code(), "invalid_request");
  json unknown = wti_regime();
  unknown["extra"] = 1;
  EXPECT_EQ(http.put("/v1/tenant/regime", unknown, admin_).error_code(), "invalid_request");

  auto tenant = http.get("/v1/tenant", viewer_);
  EXPECT_TRUE(tenant.body_json.at("regime").is_null());
  auto outbox = http.get("/v1/outbox", viewer_);
  ASSERT_EQ(outbox.status, 200) << outbox.describe();
  EXPECT_TRUE(outbox.body_json.at("entries").empty());
}

}  // namespace
}  // namespace bulwark::e2e
