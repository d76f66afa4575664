// Request validation, the mapping to commands and queries, backend outcomes and the transport
// (limits, keep-alive, timeouts), over real sockets on 127.0.0.1.
#include <gtest/gtest.h>

#include "http_test_support.hpp"

namespace bulwark::gateway::testing {
namespace {

using boost::beast::http::verb;

struct InvalidCase {
  std::string name;
  verb method;
  std::string target;
  std::string body;
  std::string field;  // expected details.field
};

const std::vector<InvalidCase> invalid_cases = {
    {"malformed json", verb::post, "/v1/reservations", R"({"reservation_id": "r-1",)", "body"},
    {"array body", verb::post, "/v1/reservations", R"([1, 2])", "body"},
    {"missing body", verb::post, "/v1/reservations", "", "body"},
    {"float amount", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": 30.5, "ttl_s": 300})", "amount_minor"},
    {"integral float amount", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": 3000.0, "ttl_s": 300})", "amount_minor"},
    {"string amount", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": "3000", "ttl_s": 300})", "amount_minor"},
    {"negative amount", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": -5, "ttl_s": 300})", "amount_minor"},
    {"zero amount", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": 0, "ttl_s": 300})", "amount_minor"},
    {"amount 10^16", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": 10000000000000000, "ttl_s": 300})",
     "amount_minor"},
    {"amount beyond uint64", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": 100000000000000000000000, "ttl_s": 300})",
     "amount_minor"},
    {"missing amount", verb::post, "/v1/reservations", R"({"reservation_id": "r-1", "ttl_s": 300})",
     "amount_minor"},
    {"unknown field", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": 3000, "ttl_s": 300, "note": "x"})", "note"},
    {"bad reservation id", verb::post, "/v1/reservations",
     R"({"reservation_id": "r 1", "amount_minor": 3000, "ttl_s": 300})", "reservation_id"},
    {"id too long", verb::post, "/v1/reservations",
     R"({"reservation_id": ")" + std::string(129, 'r') + R"(", "amount_minor": 1, "ttl_s": 1})",
     "reservation_id"},
    {"ttl out of range", verb::post, "/v1/reservations",
     R"({"reservation_id": "r-1", "amount_minor": 3000, "ttl_s": 0})", "ttl_s"},
    {"bad path id", verb::post, "/v1/reservations/r%2F1/commit", R"({"amount_minor": 1})",
     "reservation_id"},
    {"commit float", verb::post, "/v1/reservations/r-1/commit", R"({"amount_minor": 1e3})",
     "amount_minor"},
    {"release unknown field", verb::post, "/v1/reservations/r-1/release", R"({"force": true})",
     "force"},
    {"bad action path id", verb::post, "/v1/actions/a*1/approve", "", "action_id"},
    {"approve bad hash", verb::post, "/v1/actions/a-1/approve", R"({"payload_sha256": "abc"})",
     "payload_sha256"},
    {"propose payload not object", verb::post, "/v1/actions",
     R"({"action_id": "a-1", "kind": "create_po", "amount_minor": 5, "payload": [1]})", "payload"},
    {"propose bad kind", verb::post, "/v1/actions",
     R"({"action_id": "a-1", "kind": "Create PO", "amount_minor": 5})", "kind"},
    {"budget bad currency", verb::put, "/v1/tenant/budget",
     R"({"daily_limit_minor": 100, "currency": "usd", "time_zone": "UTC"})", "currency"},
    {"budget bad zone", verb::put, "/v1/tenant/budget",
     R"({"daily_limit_minor": 100, "currency": "USD", "time_zone": "Mars/Base"})", "time_zone"},
    {"safe mode string flag", verb::put, "/v1/safe-mode", R"({"enabled": "yes"})", "enabled"},
    {"guardrail unknown rule", verb::put, "/v1/guardrails/g-1",
     R"({"rule": "max_speed", "enforcement": "block"})", "rule"},
    {"guardrail escalate without threshold", verb::put, "/v1/guardrails/g-1",
     R"({"rule": "max_amount", "max_amount_minor": 100, "enforcement": "escalate"})",
     "escalation_threshold"},
    {"guardrail field of another rule", verb::put, "/v1/guardrails/g-1",
     R"({"rule": "max_amount", "max_amount_minor": 100, "max_actions": 3, "enforcement": "warn"})",
     "max_actions"},
    {"guardrail bad enforcement", verb::put, "/v1/guardrails/g-1",
     R"({"rule": "max_amount", "max_amount_minor": 100, "enforcement": "shout"})", "enforcement"},
    {"events limit zero", verb::get, "/v1/events?limit=0", "", "limit"},
    {"events limit 1001", verb::get, "/v1/events?limit=1001", "", "limit"},
    {"events after not a number", verb::get, "/v1/events?after=-1", "", "after"},
    {"events unknown parameter", verb::get, "/v1/events?from=3", "", "from"},
    {"actions bad status", verb::get, "/v1/actions?status=done", "", "status"},
    {"rate limits unknown class", verb::put, "/v1/tenant/rate-limits",
     R"({"proposals": {}})", "proposals"},
    {"rate limits unknown scope", verb::put, "/v1/tenant/rate-limits",
     R"({"approvals": {"per_node": {"rate_per_minute": 1, "burst": 1}}})", "approvals.per_node"},
    {"rate limits unknown limit field", verb::put, "/v1/tenant/rate-limits",
     R"({"approvals": {"per_tenant": {"rate_per_minute": 1, "burst": 1, "window_s": 60}}})",
     "approvals.per_tenant.window_s"},
    {"rate limits float rate", verb::put, "/v1/tenant/rate-limits",
     R"({"executions": {"per_principal": {"rate_per_minute": 10.0, "burst": 1}}})",
     "executions.per_principal.rate_per_minute"},
    {"rate limits negative burst", verb::put, "/v1/tenant/rate-limits",
     R"({"executions": {"per_principal": {"rate_per_minute": 10, "burst": -1}}})",
     "executions.per_principal.burst"},
    {"rate limits zero rate", verb::put, "/v1/tenant/rate-limits",
     R"({"rule_changes": {"per_tenant": {"rate_per_minute": 0, "burst": 1}}})",
     "rule_changes.per_tenant.rate_per_minute"},
    {"rate limits string burst", verb::put, "/v1/tenant/rate-limits",
     R"({"rule_changes": {"per_tenant": {"rate_per_minute": 5, "burst": "5"}}})",
     "rule_changes.per_tenant.burst"},
    {"rate limits rate above maximum", verb::put, "/v1/tenant/rate-limits",
     R"({"approvals": {"per_tenant": {"rate_per_minute": 1000001, "burst": 5}}})",
     "approvals.per_tenant.rate_per_minute"},
    {"rate limits missing burst", verb::put, "/v1/tenant/rate-limits",
     R"({"approvals": {"per_tenant": {"rate_per_minute": 5}}})", "approvals.per_tenant.burst"},
    {"rate limits class not object", verb::put, "/v1/tenant/rate-limits",
     R"({"approvals": [1, 2]})", "approvals"},
    {"rate limits missing body", verb::put, "/v1/tenant/rate-limits", "", "body"},
};

TEST_F(HttpServerTest, InvalidRequestsAre400AndConnectionStaysUsable) {
  auto http = client();
  std::string token = make_token(Role::admin);
  for (const auto& c : invalid_cases) {
    auto response = http.send(c.method, c.target, token, c.body);
    EXPECT_EQ(response.status, 400u) << c.name << ": " << response.body;
    EXPECT_EQ(response.error_code(), "invalid_request") << c.name;
    EXPECT_EQ(response.error_field(), c.field) << c.name << ": " << response.body;
    EXPECT_TRUE(response.keep_alive) << c.name;

    auto after = http.send(verb::get, "/healthz");
    EXPECT_EQ(after.status, 200u) << "after " << c.name;
  }
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, ReserveMapsToCommand) {
  auto http = client();
  auto response = http.send(verb::post, "/v1/reservations", make_token(Role::operator_role),
                            R"({"reservation_id": "r-1", "amount_minor": 1000000000000000,
                                "ttl_s": 300})");
  EXPECT_EQ(response.status, 201u);
  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& command = std::get<domain::Command>(calls[0].request);
  ASSERT_TRUE(std::holds_alternative<domain::Reserve>(command));
  const auto& reserve = std::get<domain::Reserve>(command);
  EXPECT_EQ(reserve.reservation_id, "r-1");
  EXPECT_EQ(reserve.amount_minor, 1'000'000'000'000'000);
  EXPECT_EQ(reserve.ttl_s, 300);
}

TEST_F(HttpServerTest, CommitIs200WithPathId) {
  auto http = client();
  auto response = http.send(verb::post, "/v1/reservations/r:7/commit",
                            make_token(Role::operator_role), R"({"amount_minor": 2900})");
  EXPECT_EQ(response.status, 200u);
  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& commit = std::get<domain::Commit>(std::get<domain::Command>(calls[0].request));
  EXPECT_EQ(commit.reservation_id, "r:7");
  EXPECT_EQ(commit.amount_minor, 2900);
}

TEST_F(HttpServerTest, ProposeHashesSortedPayload) {
  auto http = client();
  auto response = http.send(verb::post, "/v1/actions", make_token(Role::operator_role),
                            R"({"action_id": "a-1", "kind": "create_po", "amount_minor": 5000,
          "payload": {"b": {"c": [1, "x"]}, "a": 2}})");
  EXPECT_EQ(response.status, 201u);
  response = http.send(verb::post, "/v1/actions", make_token(Role::operator_role),
                       R"({"action_id": "a-2", "kind": "create_po", "amount_minor": 5000})");
  EXPECT_EQ(response.status, 201u);

  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 2u);
  const auto& first = std::get<domain::ProposeAction>(std::get<domain::Command>(calls[0].request));
  EXPECT_EQ(first.kind, "create_po");
  EXPECT_EQ(first.payload_sha256,
            "bf788fe98cd898e208e64220ddae9179a907417ae1e7252b2d4939228d2ed12d");
  const auto& second = std::get<domain::ProposeAction>(std::get<domain::Command>(calls[1].request));
  EXPECT_EQ(second.payload, nlohmann::json::object());
  EXPECT_EQ(second.payload_sha256,
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST_F(HttpServerTest, ApproveBindsAmountAndHash) {
  auto http = client();
  std::string hash(64, 'a');
  auto response = http.send(verb::post, "/v1/actions/a-1/approve", make_token(Role::approver),
                            R"({"amount_minor": 5000, "payload_sha256": ")" + hash + R"("})");
  EXPECT_EQ(response.status, 200u);
  response = http.send(verb::post, "/v1/actions/a-1/approve", make_token(Role::approver));
  EXPECT_EQ(response.status, 200u);

  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 2u);
  const auto& bound = std::get<domain::ApproveAction>(std::get<domain::Command>(calls[0].request));
  EXPECT_EQ(bound.action_id, "a-1");
  EXPECT_EQ(bound.expected_amount_minor, 5000);
  EXPECT_EQ(bound.expected_payload_sha256, hash);
  const auto& plain = std::get<domain::ApproveAction>(std::get<domain::Command>(calls[1].request));
  EXPECT_FALSE(plain.expected_amount_minor.has_value());
  EXPECT_FALSE(plain.expected_payload_sha256.has_value());
}

TEST_F(HttpServerTest, GuardrailMapsRuleFields) {
  auto http = client();
  auto response = http.send(verb::put, "/v1/guardrails/g-1", make_token(Role::admin),
                            R"({"rule": "allowed_kinds", "kinds": ["create_po", "refund"],
                                "enforcement": "escalate", "escalation_threshold": 3})");
  EXPECT_EQ(response.status, 200u) << response.body;
  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& set = std::get<domain::SetGuardrail>(std::get<domain::Command>(calls[0].request));
  EXPECT_EQ(set.guardrail_id, "g-1");
  EXPECT_EQ(set.rule.kind, domain::GuardrailRuleKind::allowed_kinds);
  EXPECT_EQ(set.rule.allowed_kinds, (std::vector<std::string>{"create_po", "refund"}));
  EXPECT_EQ(set.rule.enforcement, domain::Enforcement::escalate);
  EXPECT_EQ(set.rule.escalation_threshold, 3);
}

TEST_F(HttpServerTest, RateLimitsMapToCommand) {
  auto http = client();
  auto response = http.send(verb::put, "/v1/tenant/rate-limits", make_token(Role::admin),
                            R"({"tenant": "t1",
                                "approvals": {"per_principal": {"rate_per_minute": 10, "burst": 3},
                                              "per_tenant": {"rate_per_minute": 20, "burst": 6}}})");
  EXPECT_EQ(response.status, 200u) << response.body;
  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& set = std::get<domain::SetRateLimits>(std::get<domain::Command>(calls[0].request));
  EXPECT_EQ(set.config.approvals.per_principal, (domain::RateLimit{10, 3}));
  EXPECT_EQ(set.config.approvals.per_tenant, (domain::RateLimit{20, 6}));
  EXPECT_EQ(set.config.executions, domain::default_rate_limits().executions);
  EXPECT_EQ(set.config.rule_changes, domain::default_rate_limits().rule_changes);
}

TEST_F(HttpServerTest, RateLimitsNeedAdmin) {
  auto http = client();
  auto response = http.send(verb::put, "/v1/tenant/rate-limits", make_token(Role::approver), "{}");
  EXPECT_EQ(response.status, 403u) << response.body;
  EXPECT_EQ(response.error_code(), "forbidden");
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, RateLimitedIs429WithRetryAfter) {
  BackendResult limited;
  limited.status = BackendResult::Status::rejected;
  limited.rejection = domain::Rejection{domain::RejectionCode::rate_limited, "rate limited",
                                        {{"scope", "principal"}, {"retry_after_s", 7}}};
  backend_.set_responder([limited](const RecordedCall&) { return limited; });
  auto http = client();
  auto response = http.send(verb::post, "/v1/actions/a-1/approve", make_token(Role::approver));
  EXPECT_EQ(response.status, 429u) << response.body;
  EXPECT_EQ(response.error_code(), "rate_limited");
  EXPECT_EQ(response.headers["Retry-After"], "7");
  EXPECT_EQ(response.json()["error"]["details"]["scope"], "principal");
  EXPECT_TRUE(response.keep_alive);
}

TEST_F(HttpServerTest, QueriesMapParameters) {
  auto http = client();
  std::string token = make_token(Role::viewer);
  EXPECT_EQ(http.send(verb::get, "/v1/events", token).status, 200u);
  EXPECT_EQ(http.send(verb::get, "/v1/events?after=12&limit=1000", token).status, 200u);
  EXPECT_EQ(http.send(verb::get, "/v1/actions?status=pending_approval", token).status, 200u);
  EXPECT_EQ(http.send(verb::get, "/v1/actions", token).status, 200u);

  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 4u);
  const auto& defaults = std::get<EventsQuery>(std::get<Query>(calls[0].request));
  EXPECT_EQ(defaults.after_seq, 0u);
  EXPECT_EQ(defaults.limit, 100u);
  const auto& page = std::get<EventsQuery>(std::get<Query>(calls[1].request));
  EXPECT_EQ(page.after_seq, 12u);
  EXPECT_EQ(page.limit, 1000u);
  const auto& filtered = std::get<ActionsQuery>(std::get<Query>(calls[2].request));
  EXPECT_EQ(filtered.status, domain::ActionStatus::pending_approval);
  const auto& all = std::get<ActionsQuery>(std::get<Query>(calls[3].request));
  EXPECT_FALSE(all.status.has_value());
}

TEST_F(HttpServerTest, TenantSummaryGetsTenantField) {
  auto http = client();
  auto response = http.send(verb::get, "/v1/tenant", make_token(Role::viewer, "acme"));
  ASSERT_EQ(response.status, 200u);
  EXPECT_EQ(response.json()["tenant"], "acme");
  EXPECT_EQ(response.json()["ok"], true);
}

struct OutcomeCase {
  BackendResult result;
  unsigned status;
  std::string code;
};

TEST_F(HttpServerTest, BackendOutcomesMapToStatuses) {
  auto rejected = [](domain::RejectionCode code) {
    BackendResult result;
    result.status = BackendResult::Status::rejected;
    result.rejection = domain::Rejection{code, "rejected for the test", {{"budget_day", "d"}}};
    return result;
  };
  BackendResult unavailable;
  unavailable.status = BackendResult::Status::unavailable;
  BackendResult internal;
  internal.status = BackendResult::Status::internal;
  internal.body = {{"secret_detail", "rocksdb: IO error in /data/x"}};

  const std::vector<OutcomeCase> cases = {
      {rejected(domain::RejectionCode::limit_exceeded), 409, "limit_exceeded"},
      {rejected(domain::RejectionCode::not_found), 404, "not_found"},
      {rejected(domain::RejectionCode::invalid_request), 400, "invalid_request"},
      {rejected(domain::RejectionCode::approval_required), 409, "approval_required"},
      {rejected(domain::RejectionCode::approval_mismatch), 409, "approval_mismatch"},
      {rejected(domain::RejectionCode::invalid_transition), 409, "invalid_transition"},
      {rejected(domain::RejectionCode::idempotency_conflict), 409, "idempotency_conflict"},
      {rejected(domain::RejectionCode::guardrail_blocked), 409, "guardrail_blocked"},
      {rejected(domain::RejectionCode::budget_not_set), 409, "budget_not_set"},
      {rejected(domain::RejectionCode::limit_below_usage), 409, "limit_below_usage"},
      {rejected(domain::RejectionCode::reservation_expired), 409, "reservation_expired"},
      {unavailable, 503, "unavailable"},
      {internal, 500, "internal"},
  };
  auto http = client();
  for (const auto& c : cases) {
    backend_.set_responder([result = c.result](const RecordedCall&) { return result; });
    auto response = http.send(verb::post, "/v1/reservations/r-1/commit",
                              make_token(Role::operator_role), R"({"amount_minor": 5})");
    EXPECT_EQ(response.status, c.status) << c.code;
    EXPECT_EQ(response.error_code(), c.code);
    auto body = response.json();
    ASSERT_TRUE(body.is_object()) << c.code;
    EXPECT_TRUE(body["error"]["message"].is_string()) << c.code;
    EXPECT_TRUE(body["error"]["details"].is_object()) << c.code;
    EXPECT_EQ(response.body.find("rocksdb"), std::string::npos) << c.code;
  }
}

TEST_F(HttpServerTest, BodyOverLimitIs413) {
  auto http = client();
  std::string padding(70 * 1024, 'x');
  std::string body =
      R"({"reservation_id": "r-1", "amount_minor": 1, "ttl_s": 1, "pad": ")" + padding + R"("})";
  auto response = http.send(verb::post, "/v1/reservations", make_token(Role::operator_role), body);
  EXPECT_EQ(response.status, 413u);
  EXPECT_EQ(response.error_code(), "payload_too_large");
  EXPECT_FALSE(response.keep_alive);
  EXPECT_TRUE(backend_.calls().empty());

  auto next = client();
  EXPECT_EQ(next.send(verb::get, "/healthz").status, 200u);
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIs413) {
  HttpServer::Options options;
  options.body_bytes_max = 100;
  start_server(options);
  auto http = client();
  std::string chunk(150, 'x');
  std::ostringstream raw;
  raw << "POST /v1/reservations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
      << make_token(Role::operator_role) << "\r\nTransfer-Encoding: chunked\r\n\r\n"
      << std::hex << chunk.size() << "\r\n"
      << chunk << "\r\n0\r\n\r\n";
  http.send_raw(raw.str());
  auto response = http.receive();
  EXPECT_EQ(response.status, 413u);
  EXPECT_EQ(response.error_code(), "payload_too_large");
  EXPECT_EQ(client().send(verb::get, "/healthz").status, 200u);
}

TEST_F(HttpServerTest, MalformedHttpIs400ThenCloses) {
  auto http = client();
  http.send_raw("GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n");
  auto response = http.receive();
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.error_code(), "invalid_request");
  EXPECT_TRUE(http.closed_by_server());
  EXPECT_EQ(client().send(verb::get, "/healthz").status, 200u);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequests) {
  auto http = client();
  std::string token = make_token(Role::operator_role);
  for (int i = 0; i < 10; ++i) {
    std::string id = "r-" + std::to_string(i);
    auto response =
        http.send(verb::post, "/v1/reservations", token,
                  R"({"reservation_id": ")" + id + R"(", "amount_minor": 10, "ttl_s": 60})");
    EXPECT_EQ(response.status, 201u) << i;
    EXPECT_TRUE(response.keep_alive) << i;
  }
  EXPECT_EQ(backend_.calls().size(), 10u);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  auto http = client();
  auto response = http.send(verb::get, "/healthz", "", "", {{"Connection", "close"}});
  EXPECT_EQ(response.status, 200u);
  EXPECT_FALSE(response.keep_alive);
  EXPECT_TRUE(http.closed_by_server());
}

TEST_F(HttpServerTest, ExpectContinueGets100First) {
  auto http = client();
  auto interim = http.send(verb::post, "/v1/reservations", make_token(Role::operator_role),
                           R"({"reservation_id": "r-1", "amount_minor": 10, "ttl_s": 60})",
                           {{"Expect", "100-continue"}});
  EXPECT_EQ(interim.status, 100u);
  auto response = http.receive();
  EXPECT_EQ(response.status, 201u);
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  HttpServer::Options options;
  options.idle_timeout = std::chrono::milliseconds(200);
  start_server(options);
  auto http = client();
  EXPECT_EQ(http.send(verb::get, "/healthz").status, 200u);
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(http.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(HttpServerTest, SilentNewConnectionTimesOut) {
  HttpServer::Options options;
  options.header_read_timeout = std::chrono::milliseconds(200);
  start_server(options);
  auto http = client();
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(http.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(HttpServerTest, StopWhileBackendIsPending) {
  backend_.set_responder([](const RecordedCall& call) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return FakeBackend::default_answer(call);
  });
  auto http = client();
  http.send_raw("GET /v1/tenant HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                make_token(Role::viewer) + "\r\n\r\n");
  while (backend_.calls().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_TRUE(http.closed_by_server());
  // The backend's late callback arrives after stop() and must be dropped without harm.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
}

TEST_F(HttpServerTest, ConcurrentClientsAllServed) {
  std::vector<std::thread> threads;
  std::atomic<int> successes{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto http = client();
      std::string token = make_token(Role::viewer, "t" + std::to_string(t));
      for (int i = 0; i < 25; ++i) {
        if (http.send(verb::get, "/v1/guardrails", token).status == 200) ++successes;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), 100);
}

}  // namespace
}  // namespace bulwark::gateway::testing
