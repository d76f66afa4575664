// Hostile and malformed requests against a real node: each gets its documented status and error
// code, none changes state, and the node keeps serving.
#include "e2e_support.hpp"

namespace bulwark::e2e {
namespace {

std::string base64url(const std::string& bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

// Replaces the JOSE header of a signed token, keeping its claims and signature.
std::string with_header(const std::string& token, const json& header, bool keep_signature) {
  std::size_t first_dot = token.find('.');
  std::size_t second_dot = token.find('.', first_dot + 1);
  std::string claims = token.substr(first_dot + 1, second_dot - first_dot - 1);
  std::string signature = keep_signature ? token.substr(second_dot + 1) : "";
  return base64url(header.dump()) + "." + claims + "." + signature;
}

struct BadRequestCase {
  const char* name;
  std::string method;
  std::string target;
  std::string body;
  std::string token;
  int status;
  const char* code;
};

class GatewayE2E : public NodeTest {};

TEST_F(GatewayE2E, BadInputRejected) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget(100'000));

  const std::string reserve_path = "/v1/reservations";
  auto reserve_body = [](const std::string& amount_literal) {
    return R"({"reservation_id": "r-bad", "amount_minor": )" + amount_literal + R"(, "ttl_s": 60})";
  };
  const std::string valid_body = reserve_body("3000");

  std::string expired = node_->token(tenant_id, "otto", gateway::Role::operator_role, -1h);
  gateway::TokenClaims forged_claims{"otto", tenant_id, gateway::Role::admin, 0, 0};
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  forged_claims.issued_at_s = now_s;
  forged_claims.expires_at_s = now_s + 3600;
  std::string forged = gateway::sign_token(forged_claims, std::string(40, 'k'));
  std::string alg_none = with_header(operator_, {{"alg", "none"}, {"typ", "JWT"}}, false);
  std::string alg_hs512 = with_header(operator_, {{"alg", "HS512"}, {"typ", "JWT"}}, true);
  std::string other_tenant = node_->token("other", "otto", gateway::Role::operator_role);
  std::string oversized = R"({"reservation_id": "r-big", "amount_minor": 1, "ttl_s": 60, "note": ")" +
                          std::string(70 * 1024, 'x') + R"("})";
  std::string long_id(129, 'a');

  const std::vector<BadRequestCase> cases = {
      {"malformed JSON", "POST", reserve_path, R"({"reservation_id": "r-bad", )", operator_, 400,
       "invalid_request"},
      {"JSON array body", "POST", reserve_path, "[1, 2]", operator_, 400, "invalid_request"},
      {"float amount", "POST", reserve_path, reserve_body("3000.5"), operator_, 400,
       "invalid_request"},
      {"integral float amount", "POST", reserve_path, reserve_body("3000.0"), operator_, 400,
       "invalid_request"},
      {"string amount", "POST", reserve_path, reserve_body(R"("3000")"), operator_, 400,
       "invalid_request"},
      {"negative amount", "POST", reserve_path, reserve_body("-3000"), operator_, 400,
       "invalid_request"},
      {"zero amount", "POST", reserve_path, reserve_body("0"), operator_, 400, "invalid_request"},
      {"amount 10^16", "POST", reserve_path, reserve_body("10000000000000000"), operator_, 400,
       "invalid_request"},
      {"amount 10^15 + 1", "POST", reserve_path, reserve_body("1000000000000001"), operator_, 400,
       "invalid_request"},
      {"amount above 2^64", "POST", reserve_path, reserve_body("36893488147419103232"), operator_,
       400, "invalid_request"},
      {"unknown top-level field", "POST", reserve_path,
       R"({"reservation_id": "r-bad", "amount_minor": 3000, "ttl_s": 60, "priority": 1})",
       operator_, 400, "invalid_request"},
      {"bad reservation id in body", "POST", reserve_path,
       R"({"reservation_id": "r 1", "amount_minor": 3000, "ttl_s": 60})", operator_, 400,
       "invalid_request"},
      {"missing token", "POST", reserve_path, valid_body, "", 401, "unauthenticated"},
      {"expired token", "POST", reserve_path, valid_body, expired, 401, "unauthenticated"},
      {"forged signature", "POST", reserve_path, valid_body, forged, 401, "unauthenticated"},
      {"alg none token", "POST", reserve_path, valid_body, alg_none, 401, "unauthenticated"},
      {"alg HS512 header on an HS256 signature", "POST", reserve_path, valid_body, alg_hs512, 401,
       "unauthenticated"},
      {"garbage token", "GET", "/v1/tenant", "", "not-a-jwt", 401, "unauthenticated"},
      {"other tenant in the body", "POST", reserve_path,
       R"({"tenant": "other", "reservation_id": "r-bad", "amount_minor": 3000, "ttl_s": 60})",
       operator_, 403, "tenant_mismatch"},
      {"other tenant in the query", "GET", "/v1/tenant?tenant=other", "", viewer_, 403,
       "tenant_mismatch"},
      {"viewer posts a reservation", "POST", reserve_path, valid_body, viewer_, 403, "forbidden"},
      {"operator sets the budget", "PUT", "/v1/tenant/budget",
       R"({"daily_limit_minor": 1, "currency": "EUR", "time_zone": "Europe/Berlin"})", operator_,
       403, "forbidden"},
      {"body over 64 KiB", "POST", reserve_path, oversized, operator_, 413, "payload_too_large"},
      {"dollar sign in path id", "POST", "/v1/reservations/bad$id/commit",
       R"({"amount_minor": 1})", operator_, 400, "invalid_request"},
      {"percent escape in path id", "POST", "/v1/reservations/bad%2Fid/release", "", operator_,
       400, "invalid_request"},
      {"129-character path id", "POST", "/v1/actions/" + long_id + "/execute", "", approver_, 400,
       "invalid_request"},
  };

  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    HttpClient http(node_->port());
    auto response = http.request(test_case.method, test_case.target, test_case.token,
                                 test_case.body);
    EXPECT_EQ(response.status, test_case.status) << test_case.name << ": " << response.describe();
    EXPECT_EQ(response.error_code(), test_case.code) << test_case.name << ": "
                                                     << response.describe();

    HttpClient health(node_->port());
    auto healthz = health.get("/healthz");
    ASSERT_EQ(healthz.status, 200) << "GET /healthz after '" << test_case.name
                                   << "': " << healthz.describe();
  }

  // Tokens for another tenant work, but only on their own tenant, which has no budget.
  HttpClient http(node_->port());
  auto other = http.get("/v1/tenant", other_tenant);
  EXPECT_EQ(other.status, 200) << "GET /v1/tenant as tenant other: " << other.describe();
  EXPECT_EQ(other.body_json.value("tenant", ""), "other") << other.body;

  auto tenant = http.get("/v1/tenant", viewer_);
  ASSERT_EQ(tenant.status, 200) << "GET /v1/tenant: " << tenant.describe();
  EXPECT_EQ(tenant.body_json["budget"].value("reserved_minor", std::int64_t{-1}), 0)
      << "no rejected request may reserve spend: " << tenant.body;
  EXPECT_EQ(tenant.body_json.value("last_seq", std::uint64_t{0}), 1u)
      << "only the budget may be journaled: " << tenant.body;
}

}  // namespace
}  // namespace bulwark::e2e
