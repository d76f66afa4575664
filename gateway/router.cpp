#include "gateway/router.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <array>
#include <optional>
#include <vector>

#include "domain/decide.hpp"
#include "domain/hex.hpp"
#include "domain/lease.hpp"
#include "gateway/errors.hpp"
#include "gateway/integration_parsing.hpp"
#include "gateway/rate_limit_parsing.hpp"
#include "gateway/platform_routes.hpp"
#include "gateway/request_parsing.hpp"

namespace bulwark::gateway {
namespace {

using nlohmann::json;

enum class RouteKind : std::uint8_t {
  healthz,
  readyz,
  metrics,
  tenant,
  set_budget,
  reserve,
  commit,
  release,
  set_safe_mode,
  list_actions,
  propose_action,
  approve_action,
  reject_action,
  execute_action,
  list_guardrails,
  set_guardrail,
  list_events,
  stripe_webhook,
  set_stripe_customers,
  get_subscription,
  list_dead_letters,
  requeue_dead_letter,
  list_outbox,
  set_alerts_target,
  set_regime,
  websocket,
  platform_stats,
  set_rate_limits,
  platform_lease,
  platform_retention,
};

}  // namespace

struct Router::Endpoint {
  std::string_view method;
  RouteKind kind;
  Role role;  // ignored by healthz, readyz and metrics, which authorize on their own
};

namespace {

using Endpoint = Router::Endpoint;

struct RouteMatch {
  const char* label = "unmatched";  // the route template, used as the metrics label
  std::string path_id;              // the {id} segment, when the template has one
  std::vector<Endpoint> endpoints;  // one per allowed method
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);  // the leading '/', checked by the caller
  while (true) {
    std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

RouteMatch route(const char* label, std::vector<Endpoint> endpoints, std::string path_id = {}) {
  return RouteMatch{label, std::move(path_id), std::move(endpoints)};
}


std::optional<RouteMatch> match_path(std::string_view path) {
  auto s = split_path(path);
  if (s.size() == 1) {
    if (s[0] == "healthz") return route("/healthz", {{"GET", RouteKind::healthz, Role::viewer}});
    if (s[0] == "readyz") return route("/readyz", {{"GET", RouteKind::readyz, Role::viewer}});
    if (s[0] == "metrics") return route("/metrics", {{"GET", RouteKind::metrics, Role::viewer}});
    return std::nullopt;
  }
  if (s[0] != "v1") return std::nullopt;

  if (s.size() == 2 && s[1] == "tenant") {
    return route("/v1/tenant", {{"GET", RouteKind::tenant, Role::viewer}});
  }
  if (s.size() == 3 && s[1] == "tenant" && s[2] == "budget") {
    return route("/v1/tenant/budget", {{"PUT", RouteKind::set_budget, Role::admin}});
  }
  if (s.size() == 2 && s[1] == "reservations") {
    return route("/v1/reservations", {{"POST", RouteKind::reserve, Role::operator_role}});
  }
  if (s.size() == 4 && s[1] == "reservations" && s[3] == "commit") {
    return route("/v1/reservations/{id}/commit", {{"POST", RouteKind::commit, Role::operator_role}},
                 std::string(s[2]));
  }
  if (s.size() == 4 && s[1] == "reservations" && s[3] == "release") {
    return route("/v1/reservations/{id}/release",
                 {{"POST", RouteKind::release, Role::operator_role}}, std::string(s[2]));
  }
  if (s.size() == 2 && s[1] == "safe-mode") {
    return route("/v1/safe-mode", {{"PUT", RouteKind::set_safe_mode, Role::admin}});
  }
  if (s.size() == 2 && s[1] == "actions") {
    return route("/v1/actions", {{"GET", RouteKind::list_actions, Role::viewer},
                                 {"POST", RouteKind::propose_action, Role::operator_role}});
  }
  if (s.size() == 4 && s[1] == "actions") {
    std::string id(s[2]);
    if (s[3] == "approve") {
      return route("/v1/actions/{id}/approve",
                   {{"POST", RouteKind::approve_action, Role::approver}}, id);
    }
    if (s[3] == "reject") {
      return route("/v1/actions/{id}/reject", {{"POST", RouteKind::reject_action, Role::approver}},
                   id);
    }
    if (s[3] == "execute") {
      return route("/v1/actions/{id}/execute",
                   {{"POST", RouteKind::execute_action, Role::approver}}, id);
    }
    return std::nullopt;
  }
  if (s.size() == 2 && s[1] == "guardrails") {
    return route("/v1/guardrails", {{"GET", RouteKind::list_guardrails, Role::viewer}});
  }
  if (s.size() == 3 && s[1] == "guardrails") {
    return route("/v1/guardrails/{id}", {{"PUT", RouteKind::set_guardrail, Role::admin}},
                 std::string(s[2]));
  }
  if (s.size() == 2 && s[1] == "events") {
    return route("/v1/events", {{"GET", RouteKind::list_events, Role::viewer}});
  }
  if (s.size() == 2 && s[1] == "ws") {
    return route("/v1/ws", {{"GET", RouteKind::websocket, Role::viewer}});
  }
  if (s.size() == 3 && s[1] == "platform" && s[2] == "stats") {
    return route("/v1/platform/stats", {{"GET", RouteKind::platform_stats, Role::platform}});
  }
  if (s.size() == 2 && s[1] == "outbox") {
    return route("/v1/outbox", {{"GET", RouteKind::list_outbox, Role::viewer}});
  }
  if (s.size() == 3 && s[1] == "tenant" && s[2] == "alerts") {
    return route("/v1/tenant/alerts", {{"PUT", RouteKind::set_alerts_target, Role::admin}});
  }
  if (s.size() == 3 && s[1] == "tenant" && s[2] == "regime") {
    return route("/v1/tenant/regime", {{"PUT", RouteKind::set_regime, Role::admin}});
  }
  if (s.size() == 3 && s[1] == "tenant" && s[2] == "rate-limits") {
    return route("/v1/tenant/rate-limits", {{"PUT", RouteKind::set_rate_limits, Role::admin}});
  }
  if (s.size() == 3 && s[1] == "webhooks" && s[2] == "stripe") {
    return route("/v1/webhooks/stripe", {{"POST", RouteKind::stripe_webhook, Role::viewer}});
  }
  if (s.size() == 3 && s[1] == "tenant" && s[2] == "stripe") {
    return route("/v1/tenant/stripe", {{"PUT", RouteKind::set_stripe_customers, Role::admin}});
  }
  if (s.size() == 2 && s[1] == "subscription") {
    return route("/v1/subscription", {{"GET", RouteKind::get_subscription, Role::viewer}});
  }
  if (s.size() == 3 && s[1] == "webhooks" && s[2] == "dead-letters") {
    return route("/v1/webhooks/dead-letters",
                 {{"GET", RouteKind::list_dead_letters, Role::admin}});
  }
  if (s.size() == 4 && s[1] == "platform" && s[2] == "leases") {
    return route("/v1/platform/leases/{job}",
                 {{"POST", RouteKind::platform_lease, Role::platform}}, std::string(s[3]));
  }
  if (s.size() == 4 && s[1] == "platform" && s[2] == "retention") {
    return route("/v1/platform/retention/{tenant}",
                 {{"POST", RouteKind::platform_retention, Role::platform}}, std::string(s[3]));
  }
  if (s.size() == 5 && s[1] == "webhooks" && s[2] == "dead-letters" && s[4] == "requeue") {
    return route("/v1/webhooks/dead-letters/{id}/requeue",
                 {{"POST", RouteKind::requeue_dead_letter, Role::admin}}, std::string(s[3]));
  }
  return std::nullopt;
}

HttpResponse from_error(const RequestError& error) {
  return error_response(error.status, error.code, error.message, error.details);
}

// Splits a Sec-WebSocket-Protocol value at commas and trims the spaces around each entry.
std::vector<std::string_view> split_protocols(std::string_view header) {
  std::vector<std::string_view> entries;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view entry = header.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    entries.push_back(entry);
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return entries;
}

HttpResponse unauthenticated(std::string message, std::string_view reason) {
  HttpResponse response =
      error_response(401, "unauthenticated", std::move(message), {{"reason", reason}});
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

HttpResponse token_failure(TokenError error) {
  switch (error) {
    case TokenError::malformed:
      return unauthenticated("the bearer token is malformed", "malformed");
    case TokenError::bad_signature:
      return unauthenticated("the bearer token's signature is invalid", "bad_signature");
    case TokenError::wrong_algorithm:
      return unauthenticated("the bearer token's algorithm is not HS256", "wrong_algorithm");
    case TokenError::expired:
      return unauthenticated("the bearer token has expired; request a new one", "expired");
    case TokenError::invalid_claims:
      return unauthenticated("the bearer token's claims (sub, tenant, role, iat, exp) are invalid",
                             "invalid_claims");
  }
  return unauthenticated("the bearer token is invalid", "invalid");
}

bool starts_with_bearer(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return false;
  }
  return true;
}

std::string random_prefix() {
  std::array<unsigned char, 4> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // The prefix only separates request ids of different processes, so a weaker source will do.
    auto seed = std::chrono::steady_clock::now().time_since_epoch().count();
    for (auto& byte : bytes) {
      byte = static_cast<unsigned char>(seed);
      seed >>= 8;
    }
  }
  return domain::to_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// Delivers exactly one response per request. If the backend breaks its contract by dropping the
// callback uncalled, the destructor sends a 500, so the client is not left waiting.
class ReplyOnce {
 public:
  ReplyOnce(ResponseCallback done, std::string request_id)
      : done_(std::move(done)), request_id_(std::move(request_id)) {}
  ReplyOnce(const ReplyOnce&) = delete;
  ReplyOnce& operator=(const ReplyOnce&) = delete;

  ~ReplyOnce() {
    if (replied_.load()) return;
    spdlog::error("backend_callback_dropped request_id={}", request_id_);
    try {
      done_(error_response(500, "internal", "internal error; the request id identifies it"));
    } catch (const std::exception& e) {
      spdlog::error("http_reply_failed request_id={} error={}", request_id_, e.what());
    }
  }

  void reply(HttpResponse response) {
    if (replied_.exchange(true)) return;
    done_(std::move(response));
  }

  void reply_backend(const BackendResult& result) {
    if (result.status == BackendResult::Status::internal) {
      spdlog::error("backend_internal_error request_id={}", request_id_);
    } else if (result.status == BackendResult::Status::unavailable) {
      spdlog::warn("backend_unavailable request_id={}", request_id_);
    }
    reply(response_for(result));
  }

 private:
  ResponseCallback done_;
  std::string request_id_;
  std::atomic<bool> replied_{false};
};

}  // namespace

Router::Router(Backend& backend, std::string key, Clock now, HttpMetrics& metrics)
    : backend_(backend),
      key_(std::move(key)),
      now_(std::move(now)),
      metrics_(metrics),
      request_id_prefix_(random_prefix()) {}

std::string Router::next_request_id() {
  return request_id_prefix_ + "-" + std::to_string(++request_counter_);
}

std::string_view Router::method_label(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

void Router::handle(const HttpRequest& request, ResponseCallback done) {
  std::string_view target = request.target;
  std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  if (path.empty() || path.front() != '/') {
    done(error_response(400, "invalid_request", "the request target must be an absolute path",
                        {{"field", "target"}}));
    return;
  }

  auto match = match_path(path);
  if (!match) {
    done(error_response(404, "not_found", "no route matches this path", {{"field", "path"}}));
    return;
  }
  const char* label = match->label;
  ResponseCallback reply = [done = std::move(done), label](HttpResponse response) {
    response.route = label;
    done(std::move(response));
  };
  const Endpoint* endpoint = nullptr;
  std::string allowed;
  for (const Endpoint& candidate : match->endpoints) {
    if (candidate.method == request.method) endpoint = &candidate;
    if (!allowed.empty()) allowed += ", ";
    allowed += candidate.method;
  }
  if (endpoint == nullptr) {
    HttpResponse response = error_response(405, "method_not_allowed",
                                           request.method + " is not allowed here; use " + allowed,
                                           {{"allowed", allowed}});
    response.headers.emplace_back("Allow", allowed);
    reply(std::move(response));
    return;
  }

  switch (endpoint->kind) {
    case RouteKind::healthz:
      reply(json_response(200, {{"status", "ok"}}));
      return;
    case RouteKind::readyz:
      if (backend_.ready()) {
        reply(json_response(200, {{"status", "ready"}}));
      } else {
        reply(error_response(503, "unavailable", "the node is not ready to serve tenants yet"));
      }
      return;
    case RouteKind::metrics:
      handle_metrics(request, std::move(reply));
      return;
    case RouteKind::stripe_webhook:
      handle_stripe_webhook(request, std::move(reply));
      return;
    default:
      break;
  }

  auto auth = authenticate(request);
  if (auto* failure = std::get_if<HttpResponse>(&auth)) {
    reply(std::move(*failure));
    return;
  }
  if (endpoint->kind == RouteKind::websocket) {
    // The server hands upgrade requests to admit_websocket; this is a plain GET.
    HttpResponse response = error_response(426, "invalid_request",
                                           "GET /v1/ws needs a WebSocket upgrade request");
    response.headers.emplace_back("Upgrade", "websocket");
    reply(std::move(response));
    return;
  }
  if (endpoint->kind == RouteKind::platform_stats) {
    const auto& claims = std::get<TokenClaims>(auth);
    if (claims.role != Role::platform) {
      reply(error_response(403, "forbidden", "platform statistics need a platform token",
                           {{"role", to_string(claims.role)}, {"required", "platform"}}));
      return;
    }
    reply(json_response(200, backend_.platform_stats()));
    return;
  }
  if (endpoint->role == Role::platform) {
    handle_platform_lease_route(*endpoint, match->path_id, request, std::get<TokenClaims>(auth),
                                std::move(reply));
    return;
  }
  handle_tenant_route(*endpoint, match->path_id, query, request, std::get<TokenClaims>(auth),
                      std::move(reply));
}

std::variant<WebSocketAdmission, HttpResponse> Router::admit_websocket(
    const HttpRequest& request) const {
  std::string_view target = request.target;
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query =
      target.find('?') == std::string_view::npos ? "" : target.substr(target.find('?') + 1);
  auto respond = [](HttpResponse response) {
    response.route = "/v1/ws";
    return response;
  };
  if (path != "/v1/ws") {
    return respond(error_response(404, "not_found", "WebSocket upgrades are served on /v1/ws",
                                  {{"field", "path"}}));
  }
  if (request.method != "GET") {
    return respond(error_response(405, "method_not_allowed", "use GET to open a WebSocket",
                                  {{"allowed", "GET"}}));
  }

  // Browsers cannot set Authorization on a WebSocket, so they offer the subprotocols
  // "bearer, <token>" instead; the server accepts "bearer".
  HttpRequest credentials = request;
  WebSocketAdmission admission;
  if (credentials.authorization.empty() && !request.websocket_protocols.empty()) {
    auto offered = split_protocols(request.websocket_protocols);
    if (offered.size() == 2 && offered[0] == "bearer") {
      credentials.authorization = "Bearer " + std::string(offered[1]);
      admission.subprotocol = "bearer";
    }
  }
  auto auth = authenticate(credentials);
  if (auto* failure = std::get_if<HttpResponse>(&auth)) return respond(std::move(*failure));
  admission.claims = std::get<TokenClaims>(std::move(auth));

  auto params = parse_query_string(query);
  if (auto* error = std::get_if<RequestError>(&params)) return respond(from_error(*error));
  const QueryParams& query_params = std::get<QueryParams>(params);
  // As on every tenant route, a query that names another tenant is 403 tenant_mismatch.
  if (auto error = check_tenant_params(query_params, admission.claims.tenant)) {
    return respond(from_error(*error));
  }
  for (const auto& [name, value] : query_params) {
    if (name == "tenant" || name == "tenant_id") continue;  // the token's own tenant, checked above
    if (name != "after") {
      return respond(error_response(400, "invalid_request",
                                    "unknown query parameter '" + name + "': only after is allowed",
                                    {{"field", name}}));
    }
    auto after = parse_sequence_number(value);
    if (!after) {
      return respond(error_response(400, "invalid_request",
                                    "after must be a sequence number from 0",
                                    {{"field", "after"}}));
    }
    if (admission.claims.role == Role::platform) {
      return respond(error_response(400, "invalid_request",
                                    "after applies to tenant sessions; platform sessions receive "
                                    "only new messages",
                                    {{"field", "after"}}));
    }
    admission.after = *after;
  }
  return admission;
}

// Lease and retention commands go to the reserved system tenant, never to the token's tenant.
void Router::handle_platform_lease_route(const Endpoint& endpoint, const std::string& path_id,
                                         const HttpRequest& request, const TokenClaims& claims,
                                         ResponseCallback done) {
  if (claims.role != Role::platform) {
    done(error_response(403, "forbidden", "this route requires a platform token",
                        {{"role", to_string(claims.role)}, {"required", "platform"}}));
    return;
  }
  auto body = parse_body_object(request.body, /*required=*/true);
  if (auto* error = std::get_if<RequestError>(&body)) return done(from_error(*error));
  const json& object = std::get<json>(body);
  auto command = endpoint.kind == RouteKind::platform_lease
                     ? parse_lease_request(path_id, object)
                     : parse_retention_request(path_id, object);
  if (auto* error = std::get_if<RequestError>(&command)) return done(from_error(*error));

  auto& valid_command = std::get<domain::Command>(command);
  if (auto rejection = domain::validate(valid_command)) {
    return done(error_response(400, domain::to_string(rejection->code), rejection->message,
                               rejection->details));
  }
  RequestContext context{domain::system_tenant_id, claims.subject, request.request_id};
  submit(std::move(context), std::move(valid_command), std::move(done));
}

std::variant<TokenClaims, HttpResponse> Router::authenticate(const HttpRequest& request) const {
  std::string_view header = request.authorization;
  if (header.empty()) {
    return unauthenticated("a bearer token is required: send Authorization: Bearer <token>",
                           "missing");
  }
  if (!starts_with_bearer(header)) {
    return unauthenticated("the Authorization header must use the Bearer scheme", "malformed");
  }
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);

  std::int64_t now_s = domain::to_unix_ms(now_()) / 1000;
  TokenCheck check = verify_token(token, key_, now_s);
  if (!check.claims) return token_failure(check.error);
  return std::move(*check.claims);
}

void Router::handle_metrics(const HttpRequest& request, ResponseCallback done) {
  // Scrapers on the node itself need no token; anyone else must hold a platform token, because
  // the metrics reveal platform-wide activity.
  if (!request.peer_is_loopback) {
    auto auth = authenticate(request);
    if (auto* failure = std::get_if<HttpResponse>(&auth)) {
      done(std::move(*failure));
      return;
    }
    if (std::get<TokenClaims>(auth).role != Role::platform) {
      done(error_response(403, "forbidden", "metrics need a platform token from a remote peer"));
      return;
    }
  }
  HttpResponse response;
  response.status = 200;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = metrics_.render() + backend_.metrics_text();
  done(std::move(response));
}

void Router::handle_tenant_route(const Endpoint& endpoint, const std::string& path_id,
                                 std::string_view query_text, const HttpRequest& request,
                                 const TokenClaims& claims, ResponseCallback done) {
  if (claims.role == Role::platform) {
    done(error_response(403, "forbidden", "a platform token cannot read or change tenant data",
                        {{"role", to_string(claims.role)}}));
    return;
  }
  if (!role_allows(claims.role, endpoint.role)) {
    done(error_response(
        403, "forbidden",
        std::string("this route requires the ") + to_string(endpoint.role) + " role or higher",
        {{"role", to_string(claims.role)}, {"required", to_string(endpoint.role)}}));
    return;
  }

  auto params = parse_query_string(query_text);
  if (auto* error = std::get_if<RequestError>(&params)) return done(from_error(*error));
  const QueryParams& query_params = std::get<QueryParams>(params);
  if (auto error = check_tenant_params(query_params, claims.tenant))
    return done(from_error(*error));

  RequestContext context{claims.tenant, claims.subject, request.request_id};

  std::optional<Parsed<Query>> parsed_query;
  switch (endpoint.kind) {
    case RouteKind::tenant:
      parsed_query = parse_tenant_query(query_params);
      break;
    case RouteKind::list_actions:
      parsed_query = parse_actions_query(query_params);
      break;
    case RouteKind::list_guardrails:
      parsed_query = parse_guardrails_query(query_params);
      break;
    case RouteKind::list_events:
      parsed_query = parse_events_query(query_params);
      break;
    case RouteKind::get_subscription:
      parsed_query = parse_subscription_query(query_params);
      break;
    case RouteKind::list_dead_letters:
      parsed_query = parse_dead_letters_query(query_params);
      break;
    case RouteKind::list_outbox:
      parsed_query = parse_outbox_query(query_params);
      break;
    default:
      break;
  }
  if (parsed_query) {
    if (auto* error = std::get_if<RequestError>(&*parsed_query)) return done(from_error(*error));
    if (auto error = check_read_body_tenant(request.body, claims.tenant))
      return done(from_error(*error));
    query(std::move(context), std::get<Query>(std::move(*parsed_query)), std::move(done));
    return;
  }

  // Commands take their input from the body; the query string may carry only the tenant.
  for (const auto& [name, value] : query_params) {
    if (name == "tenant" || name == "tenant_id") continue;
    return done(error_response(400, "invalid_request", "unknown query parameter '" + name + "'",
                               {{"field", name}}));
  }

  bool body_required =
      endpoint.kind == RouteKind::set_budget || endpoint.kind == RouteKind::reserve ||
      endpoint.kind == RouteKind::commit || endpoint.kind == RouteKind::set_safe_mode ||
      endpoint.kind == RouteKind::propose_action || endpoint.kind == RouteKind::set_guardrail ||
      endpoint.kind == RouteKind::set_stripe_customers ||
      endpoint.kind == RouteKind::set_alerts_target || endpoint.kind == RouteKind::set_regime ||
      endpoint.kind == RouteKind::set_rate_limits;
  auto body = parse_body_object(request.body, body_required);
  if (auto* error = std::get_if<RequestError>(&body)) return done(from_error(*error));
  const json& object = std::get<json>(body);
  if (auto error = check_tenant_fields(object, claims.tenant)) return done(from_error(*error));

  Parsed<domain::Command> command = RequestError{};
  switch (endpoint.kind) {
    case RouteKind::set_budget:
      command = parse_set_budget(object);
      break;
    case RouteKind::reserve:
      command = parse_reserve(object);
      break;
    case RouteKind::commit:
      command = parse_commit(path_id, object);
      break;
    case RouteKind::release:
      command = parse_release(path_id, object);
      break;
    case RouteKind::set_safe_mode:
      command = parse_set_safe_mode(object);
      break;
    case RouteKind::propose_action:
      command = parse_propose_action(object);
      break;
    case RouteKind::approve_action:
      command = parse_approve_action(path_id, object);
      break;
    case RouteKind::reject_action:
      command = parse_reject_action(path_id, object);
      break;
    case RouteKind::execute_action:
      command = parse_execute_action(path_id, object);
      break;
    case RouteKind::set_guardrail:
      command = parse_set_guardrail(path_id, object);
      break;
    case RouteKind::set_stripe_customers:
      command = parse_set_stripe_customers(object);
      break;
    case RouteKind::requeue_dead_letter:
      command = parse_requeue_webhook(path_id, object);
      break;
    case RouteKind::set_alerts_target:
      command = parse_set_alerts_target(object);
      break;
    case RouteKind::set_regime:
      command = parse_set_regime(object);
      break;
    case RouteKind::set_rate_limits:
      command = parse_set_rate_limits(object);
      break;
    default:
      spdlog::error("http_route_unhandled request_id={}", request.request_id);
      return done(error_response(500, "internal", "internal error; the request id identifies it"));
  }
  if (auto* error = std::get_if<RequestError>(&command)) return done(from_error(*error));

  auto& valid_command = std::get<domain::Command>(command);
  if (auto rejection = domain::validate(valid_command)) {
    return done(error_response(400, domain::to_string(rejection->code), rejection->message,
                               rejection->details));
  }
  submit(std::move(context), std::move(valid_command), std::move(done));
}

void Router::submit(RequestContext context, domain::Command command, ResponseCallback done) {
  auto once = std::make_shared<ReplyOnce>(std::move(done), context.request_id);
  try {
    backend_.submit(context, std::move(command),
                    [once](BackendResult result) { once->reply_backend(result); });
  } catch (const std::exception& e) {
    spdlog::error("backend_submit_failed request_id={} error={}", context.request_id, e.what());
    once->reply(error_response(500, "internal", "internal error; the request id identifies it"));
  }
}

void Router::query(RequestContext context, Query query, ResponseCallback done) {
  bool is_tenant_summary = std::holds_alternative<TenantSummaryQuery>(query);
  auto once = std::make_shared<ReplyOnce>(std::move(done), context.request_id);
  BackendCallback callback = [once, is_tenant_summary,
                              tenant = context.tenant](BackendResult result) {
    // The tenant summary names its tenant; add the field when the backend leaves it out.
    if (is_tenant_summary && result.status == BackendResult::Status::ok &&
        result.body.is_object() && !result.body.contains("tenant")) {
      result.body["tenant"] = tenant;
    }
    once->reply_backend(result);
  };
  try {
    backend_.query(context, std::move(query), std::move(callback));
  } catch (const std::exception& e) {
    spdlog::error("backend_query_failed request_id={} error={}", context.request_id, e.what());
    once->reply(error_response(500, "internal", "internal error; the request id identifies it"));
  }
}

}  // namespace bulwark::gateway
