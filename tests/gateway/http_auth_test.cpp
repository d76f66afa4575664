// Authentication, authorization, tenant isolation and the local routes, over real sockets.
#include <gtest/gtest.h>

#include "gateway/router.hpp"
#include "http_test_support.hpp"

namespace bulwark::gateway::testing {
namespace {

using boost::beast::http::verb;

const std::string reserve_body = R"({"reservation_id": "r-1", "amount_minor": 3000, "ttl_s": 300})";

TEST_F(HttpServerTest, MissingTokenIs401) {
  auto http = client();
  auto response = http.send(verb::get, "/v1/tenant");
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.error_code(), "unauthenticated");
  EXPECT_EQ(response.headers["WWW-Authenticate"], "Bearer");
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, MalformedAuthorizationIs401) {
  auto http = client();
  for (std::string header :
       {"Bearer not-a-jwt", "Basic YWxpY2U6cHc=", "Bearer ", "Bearer a.b.c"}) {
    auto response = http.send(verb::get, "/v1/tenant", "", "", {{"Authorization", header}});
    EXPECT_EQ(response.status, 401u) << header;
    EXPECT_EQ(response.error_code(), "unauthenticated") << header;
  }
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, ForgedTokenIs401) {
  TokenClaims claims;
  claims.subject = "mallory";
  claims.tenant = "t1";
  claims.role = Role::admin;
  claims.issued_at_s = test_now_s;
  claims.expires_at_s = test_now_s + 3600;
  auto http = client();
  auto response =
      http.send(verb::get, "/v1/tenant", sign_token(claims, "another-key-another-key-another-key"));
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.error_code(), "unauthenticated");
  EXPECT_EQ(response.json()["error"]["details"]["reason"], "bad_signature");
}

TEST_F(HttpServerTest, ExpiredTokenIs401) {
  auto http = client();
  auto response =
      http.send(verb::get, "/v1/tenant", make_token(Role::admin, "t1", "alice", test_now_s - 1));
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.error_code(), "unauthenticated");
  EXPECT_EQ(response.json()["error"]["details"]["reason"], "expired");
}

TEST_F(HttpServerTest, AlgNoneTokenIs401) {
  std::string token = make_token(Role::admin);
  // {"alg":"none","typ":"JWT"} in base64url, with the original payload and no signature.
  std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" +
                     token.substr(token.find('.'), token.rfind('.') - token.find('.') + 1);
  auto http = client();
  auto response = http.send(verb::get, "/v1/tenant", none);
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.error_code(), "unauthenticated");
  EXPECT_EQ(response.json()["error"]["details"]["reason"], "wrong_algorithm");
}

struct RoleCase {
  verb method;
  std::string target;
  std::string body;
  Role lowest_allowed;
};

TEST_F(HttpServerTest, RolesGateEachRoute) {
  const std::vector<RoleCase> cases = {
      {verb::get, "/v1/tenant", "", Role::viewer},
      {verb::get, "/v1/actions", "", Role::viewer},
      {verb::get, "/v1/guardrails", "", Role::viewer},
      {verb::get, "/v1/events", "", Role::viewer},
      {verb::post, "/v1/reservations", reserve_body, Role::operator_role},
      {verb::post, "/v1/reservations/r-1/commit", R"({"amount_minor": 10})", Role::operator_role},
      {verb::post, "/v1/reservations/r-1/release", "", Role::operator_role},
      {verb::post, "/v1/actions", R"({"action_id": "a-1", "kind": "create_po", "amount_minor": 5})",
       Role::operator_role},
      {verb::post, "/v1/actions/a-1/approve", "", Role::approver},
      {verb::post, "/v1/actions/a-1/reject", "", Role::approver},
      {verb::post, "/v1/actions/a-1/execute", "", Role::approver},
      {verb::put, "/v1/tenant/budget",
       R"({"daily_limit_minor": 100000, "currency": "USD", "time_zone": "Europe/Berlin"})",
       Role::admin},
      {verb::put, "/v1/safe-mode", R"({"enabled": true, "reason": "audit"})", Role::admin},
      {verb::put, "/v1/guardrails/g-1",
       R"({"rule": "max_amount", "max_amount_minor": 100, "enforcement": "block"})", Role::admin},
  };
  auto http = client();
  for (const auto& c : cases) {
    for (Role role : {Role::viewer, Role::operator_role, Role::approver, Role::admin}) {
      auto response = http.send(c.method, c.target, make_token(role), c.body);
      bool allowed = role_allows(role, c.lowest_allowed);
      if (allowed) {
        EXPECT_LT(response.status, 300u)
            << c.target << " as " << to_string(role) << ": " << response.body;
      } else {
        EXPECT_EQ(response.status, 403u) << c.target << " as " << to_string(role);
        EXPECT_EQ(response.error_code(), "forbidden") << c.target << " as " << to_string(role);
      }
    }
  }
}

TEST_F(HttpServerTest, PlatformTokenOnTenantRouteIs403) {
  auto http = client();
  auto response = http.send(verb::get, "/v1/tenant", make_token(Role::platform));
  EXPECT_EQ(response.status, 403u);
  EXPECT_EQ(response.error_code(), "forbidden");
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, BodyNamingAnotherTenantIs403) {
  auto http = client();
  for (std::string field : {"tenant", "tenant_id"}) {
    std::string body = R"({"reservation_id": "r-1", "amount_minor": 3000, "ttl_s": 300, ")" +
                       field + R"(": "t2"})";
    auto response =
        http.send(verb::post, "/v1/reservations", make_token(Role::operator_role), body);
    EXPECT_EQ(response.status, 403u) << field;
    EXPECT_EQ(response.error_code(), "tenant_mismatch") << field;
    EXPECT_EQ(response.error_field(), field);
  }
  // A tenant field that is not a string cannot name this tenant either.
  auto response = http.send(verb::post, "/v1/reservations/r-1/release",
                            make_token(Role::operator_role), R"({"tenant": 1})");
  EXPECT_EQ(response.status, 403u);
  EXPECT_EQ(response.error_code(), "tenant_mismatch");
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, QueryNamingAnotherTenantIs403) {
  auto http = client();
  auto response = http.send(verb::get, "/v1/actions?tenant=t2", make_token(Role::viewer));
  EXPECT_EQ(response.status, 403u);
  EXPECT_EQ(response.error_code(), "tenant_mismatch");
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, ReadBodyNamingAnotherTenantIs403) {
  auto http = client();
  for (std::string field : {"tenant", "tenant_id"}) {
    auto response = http.send(verb::get, "/v1/actions", make_token(Role::viewer),
                              R"({")" + field + R"(": "t2"})");
    EXPECT_EQ(response.status, 403u) << field;
    EXPECT_EQ(response.error_code(), "tenant_mismatch") << field;
    EXPECT_EQ(response.error_field(), field);
  }
  EXPECT_TRUE(backend_.calls().empty());
  // A read takes no input from its body, so one that names no tenant is still served.
  auto response = http.send(verb::get, "/v1/actions", make_token(Role::viewer), "not json");
  EXPECT_EQ(response.status, 200u) << response.body;
}

TEST_F(HttpServerTest, BodyNamingOwnTenantIsAccepted) {
  auto http = client();
  std::string body =
      R"({"reservation_id": "r-1", "amount_minor": 3000, "ttl_s": 300, "tenant": "t1"})";
  auto response = http.send(verb::post, "/v1/reservations", make_token(Role::operator_role), body);
  EXPECT_EQ(response.status, 201u) << response.body;
  ASSERT_EQ(backend_.calls().size(), 1u);
}

TEST_F(HttpServerTest, ContextComesFromToken) {
  auto http = client();
  auto response = http.send(verb::get, "/v1/guardrails", make_token(Role::viewer, "acme", "bob"));
  ASSERT_EQ(response.status, 200u);
  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].context.tenant, "acme");
  EXPECT_EQ(calls[0].context.principal, "bob");
  EXPECT_FALSE(calls[0].context.request_id.empty());
  EXPECT_EQ(calls[0].context.request_id, std::string(response.headers["X-Request-Id"]));
}

TEST_F(HttpServerTest, RequestIdsDiffer) {
  auto http = client();
  auto first = http.send(verb::get, "/healthz");
  auto second = http.send(verb::get, "/healthz");
  EXPECT_FALSE(std::string(first.headers["X-Request-Id"]).empty());
  EXPECT_NE(first.headers["X-Request-Id"], second.headers["X-Request-Id"]);
}

TEST_F(HttpServerTest, HealthzAndReadyz) {
  auto http = client();
  auto health = http.send(verb::get, "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.json()["status"], "ok");

  auto ready = http.send(verb::get, "/readyz");
  EXPECT_EQ(ready.status, 200u);

  backend_.set_ready(false);
  auto not_ready = http.send(verb::get, "/readyz");
  EXPECT_EQ(not_ready.status, 503u);
  EXPECT_EQ(not_ready.error_code(), "unavailable");
  EXPECT_EQ(http.send(verb::get, "/healthz").status, 200u);
}

TEST_F(HttpServerTest, MetricsFromLoopbackNeedNoToken) {
  auto http = client();
  ASSERT_EQ(http.send(verb::get, "/healthz").status, 200u);
  auto response = http.send(verb::get, "/metrics");
  ASSERT_EQ(response.status, 200u);
  EXPECT_NE(std::string(response.headers["Content-Type"]).find("text/plain"), std::string::npos);
  EXPECT_NE(response.body.find(
                R"(bulwark_http_requests_total{method="GET",route="/healthz",status="200"} 1)"),
            std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("bulwark_http_request_duration_seconds_bucket{method=\"GET\","
                               "route=\"/healthz\",le=\"+Inf\"} 1"),
            std::string::npos);
  EXPECT_NE(response.body.find("bulwark_backend_test_gauge 7"), std::string::npos);
}

TEST_F(HttpServerTest, UnknownRoutesAre404) {
  auto http = client();
  std::string token = make_token(Role::admin);
  for (std::string target :
       {"/v1/nothing", "/v1/tenant/", "/", "/v1/webhooks",
        "/v1/webhooks/dead-letters/evt_1"}) {
    auto response = http.send(verb::get, target, token);
    EXPECT_EQ(response.status, 404u) << target;
    EXPECT_EQ(response.error_code(), "not_found") << target;
  }
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, PlatformRoutesNeedPlatformRole) {
  auto http = client();
  auto plain = http.send(verb::get, "/v1/ws", make_token(Role::admin));
  EXPECT_EQ(plain.status, 426u) << "a GET without an upgrade";
  auto tenant_stats = http.send(verb::get, "/v1/platform/stats", make_token(Role::admin));
  EXPECT_EQ(tenant_stats.status, 403u);
  EXPECT_EQ(tenant_stats.error_code(), "forbidden");
  auto platform_stats = http.send(verb::get, "/v1/platform/stats", make_token(Role::platform));
  EXPECT_EQ(platform_stats.status, 200u);
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(HttpServerTest, WrongMethodIs405) {
  auto http = client();
  auto response = http.send(verb::delete_, "/v1/actions", make_token(Role::admin));
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(response.error_code(), "method_not_allowed");
  EXPECT_EQ(response.headers["Allow"], "GET, POST");
}

// The loopback exemption cannot be exercised over 127.0.0.1, so the remote case drives the router.
class MetricsRemoteTest : public ::testing::Test {
 protected:
  HttpResponse get_metrics(const std::string& authorization) {
    Router router(
        backend_, test_key, [] { return domain::from_unix_ms(test_now_s * 1000); }, metrics_);
    HttpRequest request;
    request.method = "GET";
    request.target = "/metrics";
    request.authorization = authorization;
    request.peer_is_loopback = false;
    HttpResponse result;
    router.handle(request, [&](HttpResponse response) { result = std::move(response); });
    return result;
  }

  FakeBackend backend_;
  HttpMetrics metrics_;
};

TEST_F(MetricsRemoteTest, RequiresPlatformToken) {
  EXPECT_EQ(get_metrics("").status, 401u);
  EXPECT_EQ(get_metrics("Bearer " + make_token(Role::admin)).status, 403u);
  auto allowed = get_metrics("Bearer " + make_token(Role::platform));
  EXPECT_EQ(allowed.status, 200u);
  EXPECT_NE(allowed.body.find("bulwark_backend_test_gauge"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::gateway::testing
