// WebSocket push against a real node: each session receives its own tenant's events in sequence
// order and nothing else, resumes after a sequence number, and is closed when it stops reading.
#include <set>
#include <thread>

#include "e2e_support.hpp"
#include "ws_client.hpp"

namespace bulwark::e2e {
namespace {

using ReadStatus = WsClient::ReadStatus;

class WebSocketE2E : public NodeTest {
 protected:
  void set_budget_for(const std::string& tenant) {
    HttpClient http(node_->port());
    auto response =
        http.put("/v1/tenant/budget",
                 {{"daily_limit_minor", 100'000'000}, {"currency", "EUR"}, {"time_zone", "UTC"}},
                 node_->token(tenant, "adam", gateway::Role::admin));
    ASSERT_EQ(response.status, 200) << response.describe();
  }

  void reserve_many(const std::string& tenant, int count, int first = 0) {
    HttpClient http(node_->port());
    std::string token = node_->token(tenant, "otto", gateway::Role::operator_role);
    for (int i = first; i < first + count; ++i) {
      auto response = http.post("/v1/reservations",
                                {{"reservation_id", tenant + "-r" + std::to_string(i)},
                                 {"amount_minor", 100},
                                 {"ttl_s", 3600}},
                                token);
      ASSERT_EQ(response.status, 201) << response.describe();
    }
  }

  std::unique_ptr<WsClient> open(const std::string& target, const std::string& token) {
    auto client = std::make_unique<WsClient>();
    WsClient::Options options;
    options.token = token;
    EXPECT_TRUE(client->connect(node_->port(), target, options))
        << target << " upgrade answered " << client->http_status();
    return client;
  }
};

TEST_F(WebSocketE2E, TenantsSeeOnlyTheirOwnEvents) {
  NodeOptions options;
  options.extra_args = {"--platform-push-interval", "200ms"};
  ASSERT_NO_FATAL_FAILURE(start_node(options));
  const std::vector<std::string> tenants = {"ws-a", "ws-b", "ws-c", "ws-d"};
  constexpr int sockets_per_tenant = 3;
  constexpr int reserves = 20;

  std::vector<std::pair<std::string, std::unique_ptr<WsClient>>> sockets;
  for (const auto& tenant : tenants) {
    for (int i = 0; i < sockets_per_tenant; ++i) {
      sockets.emplace_back(tenant, open("/v1/ws", node_->token(tenant, "vera", gateway::Role::viewer)));
    }
  }
  auto platform = open("/v1/ws", node_->token("", "ops", gateway::Role::platform));

  std::vector<std::thread> writers;
  for (const auto& tenant : tenants) {
    writers.emplace_back([this, tenant] {
      set_budget_for(tenant);
      reserve_many(tenant, reserves);
    });
  }
  for (auto& writer : writers) writer.join();

  // 1 budget_set and 20 spend_reserved per tenant, numbered 1 to 21.
  for (auto& [tenant, socket] : sockets) {
    std::uint64_t expected = 1;
    int foreign = 0;
    while (expected <= reserves + 1) {
      auto read = socket->read();
      ASSERT_EQ(read.status, ReadStatus::frame) << tenant << " waited for seq " << expected;
      json frame = json::parse(read.text);
      ASSERT_EQ(frame.at("seq").get<std::uint64_t>(), expected) << read.text;
      if (frame.at("type") == "spend_reserved") {
        std::string id = frame.at("data").at("reservation_id");
        if (id.rfind(tenant + "-r", 0) != 0) foreign++;
      }
      expected++;
    }
    EXPECT_EQ(foreign, 0) << tenant;
    EXPECT_EQ(socket->read(300ms).status, ReadStatus::timeout) << "no frame beyond the last event";
  }

  // The platform session gets statistics, counted over tenants, and no tenant events.
  int platform_frames = 0;
  for (int i = 0; i < 3; ++i) {
    auto read = platform->read(3s);
    ASSERT_EQ(read.status, ReadStatus::frame);
    json frame = json::parse(read.text);
    EXPECT_EQ(frame.at("type"), "platform_stats") << read.text;
    EXPECT_FALSE(frame.contains("seq")) << read.text;
    EXPECT_EQ(read.text.find("ws-a"), std::string::npos) << read.text;
    platform_frames++;
  }
  EXPECT_EQ(platform_frames, 3);
}

TEST_F(WebSocketE2E, ResumesExactlyAfterSeq) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget_for(tenant_id));
  ASSERT_NO_FATAL_FAILURE(reserve_many(tenant_id, 9));  // seq 2 to 10

  auto socket = open("/v1/ws?after=4", viewer_);
  for (std::uint64_t seq = 5; seq <= 10; ++seq) {
    auto read = socket->read();
    ASSERT_EQ(read.status, ReadStatus::frame) << "waiting for seq " << seq;
    EXPECT_EQ(json::parse(read.text).at("seq").get<std::uint64_t>(), seq) << read.text;
  }
  ASSERT_NO_FATAL_FAILURE(reserve_many(tenant_id, 2, 100));  // seq 11 and 12, live
  for (std::uint64_t seq = 11; seq <= 12; ++seq) {
    auto read = socket->read();
    ASSERT_EQ(read.status, ReadStatus::frame) << "waiting for seq " << seq;
    EXPECT_EQ(json::parse(read.text).at("seq").get<std::uint64_t>(), seq) << read.text;
  }
  EXPECT_EQ(socket->read(300ms).status, ReadStatus::timeout);

  auto caught_up = open("/v1/ws?after=12", viewer_);
  EXPECT_EQ(caught_up->read(300ms).status, ReadStatus::timeout) << "nothing after the last seq";
}

TEST_F(WebSocketE2E, FilterNarrowsTypes) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  auto socket = open("/v1/ws", viewer_);
  ASSERT_TRUE(socket->write(R"({"op": "filter", "types": ["spend_reserved"]})"));
  auto ack = socket->read();
  ASSERT_EQ(ack.status, ReadStatus::frame);
  EXPECT_EQ(json::parse(ack.text).at("type"), "filter_set") << ack.text;

  ASSERT_NO_FATAL_FAILURE(set_budget_for(tenant_id));    // seq 1, filtered out
  ASSERT_NO_FATAL_FAILURE(reserve_many(tenant_id, 1));  // seq 2
  auto read = socket->read();
  ASSERT_EQ(read.status, ReadStatus::frame);
  json frame = json::parse(read.text);
  EXPECT_EQ(frame.at("type"), "spend_reserved");
  EXPECT_EQ(frame.at("seq"), 2);
}

TEST_F(WebSocketE2E, NamingAnotherTenantCloses) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  auto socket = open("/v1/ws", viewer_);
  ASSERT_TRUE(socket->write(R"({"op": "filter", "types": [], "tenant": "someone-else"})"));
  auto read = socket->read();
  ASSERT_EQ(read.status, ReadStatus::closed) << read.text;
  EXPECT_EQ(read.close_code, 1008u);
}

TEST_F(WebSocketE2E, UpgradeChecksTheToken) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  WsClient anonymous;
  EXPECT_FALSE(anonymous.connect(node_->port(), "/v1/ws", {}));
  EXPECT_EQ(anonymous.http_status(), 401u);

  WsClient expired;
  WsClient::Options expired_options;
  expired_options.token = node_->token(tenant_id, "vera", gateway::Role::viewer, -60s);
  EXPECT_FALSE(expired.connect(node_->port(), "/v1/ws", expired_options));
  EXPECT_EQ(expired.http_status(), 401u);

  std::string forged_token = viewer_;
  forged_token.back() = forged_token.back() == 'A' ? 'B' : 'A';
  WsClient forged;
  WsClient::Options forged_options;
  forged_options.token = forged_token;
  EXPECT_FALSE(forged.connect(node_->port(), "/v1/ws", forged_options));
  EXPECT_EQ(forged.http_status(), 401u);

  WsClient platform_resume;
  WsClient::Options platform_options;
  platform_options.token = node_->token("", "ops", gateway::Role::platform);
  EXPECT_FALSE(platform_resume.connect(node_->port(), "/v1/ws?after=3", platform_options));
  EXPECT_EQ(platform_resume.http_status(), 400u);

  // Browsers pass the token as a subprotocol; the server accepts "bearer".
  WsClient browser;
  WsClient::Options browser_options;
  browser_options.subprotocol_token = viewer_;
  ASSERT_TRUE(browser.connect(node_->port(), "/v1/ws", browser_options));
  EXPECT_EQ(browser.response_header("Sec-WebSocket-Protocol"), "bearer");
  ASSERT_NO_FATAL_FAILURE(set_budget_for(tenant_id));
  auto read = browser.read();
  ASSERT_EQ(read.status, ReadStatus::frame);
  EXPECT_EQ(json::parse(read.text).at("type"), "budget_set");
}

TEST_F(WebSocketE2E, SlowReaderIsClosed) {
  NodeOptions options;
  options.extra_args = {"--ws-queue-max", "16", "--no-sync"};
  ASSERT_NO_FATAL_FAILURE(start_node(options));
  ASSERT_NO_FATAL_FAILURE(set_budget_for(tenant_id));
  WsClient slow;
  WsClient::Options slow_options;
  slow_options.token = viewer_;
  slow_options.receive_buffer_bytes = 4096;
  ASSERT_TRUE(slow.connect(node_->port(), "/v1/ws", slow_options));
  auto fast = open("/v1/ws", viewer_);

  // About 600 frames of some 200 bytes: far more than a 64 KiB send buffer, a 4 KiB receive
  // buffer and 16 queued frames hold, while the slow client reads nothing.
  ASSERT_NO_FATAL_FAILURE(reserve_many(tenant_id, 600));

  // The fast client, on the same tenant, still receives every event.
  for (std::uint64_t seq = 2; seq <= 601; ++seq) {
    auto read = fast->read();
    ASSERT_EQ(read.status, ReadStatus::frame) << "fast client waiting for seq " << seq;
    ASSERT_EQ(json::parse(read.text).at("seq").get<std::uint64_t>(), seq);
  }

  // The slow client finds what was buffered, then the close with 1013 (or the socket closed).
  WsClient::Read read;
  int frames = 0;
  do {
    read = slow.read(15s);
    if (read.status == ReadStatus::frame) frames++;
  } while (read.status == ReadStatus::frame && frames < 1000);
  EXPECT_LT(frames, 600) << "the slow client was never cut off";
  EXPECT_TRUE(read.status == ReadStatus::closed || read.status == ReadStatus::failed);
  if (read.status == ReadStatus::closed) EXPECT_EQ(read.close_code, 1013u);
  EXPECT_NE(node_->log_tail(200).find("ws_slow_consumer"), std::string::npos);

  HttpClient http(node_->port());
  auto metrics = http.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("bulwark_ws_slow_consumer_closes_total 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("bulwark_ws_sessions_total 2\n"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::e2e
