#pragma once
// Routing, authentication, authorization and request validation for the HTTP API, independent of
// the socket code. Every request ends in exactly one ResponseCallback call: at once for errors
// and local routes, or from the backend's callback thread for tenant commands and queries.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "domain/time.hpp"
#include "gateway/backend.hpp"
#include "gateway/http_types.hpp"
#include "gateway/metrics.hpp"
#include "gateway/stripe_webhook.hpp"
#include "gateway/token.hpp"

namespace bulwark::gateway {

// An accepted WebSocket upgrade: who opened it, and where a tenant session resumes.
struct WebSocketAdmission {
  TokenClaims claims;                  // the tenant (or the platform role) comes from here only
  std::optional<std::uint64_t> after;  // resume after this sequence number; unset: new events only
  std::string subprotocol;             // "bearer" when the token came as a subprotocol
};

class Router {
 public:
  struct Endpoint;  // a method on a route, with the role it requires; defined in router.cpp
  using Clock = std::function<domain::TimePoint()>;

  // `backend` and `metrics` must outlive the router. `key` is the HMAC key for bearer tokens.
  Router(Backend& backend, std::string key, Clock now, HttpMetrics& metrics);

  void handle(const HttpRequest& request, ResponseCallback done);

  // Authenticates a WebSocket upgrade of GET /v1/ws and reads its ?after=SEQ, or returns the
  // HTTP error response to send instead of upgrading.
  [[nodiscard]] std::variant<WebSocketAdmission, HttpResponse> admit_websocket(
      const HttpRequest& request) const;

  // Enables POST /v1/webhooks/stripe; without it the route returns 503. Call before serving.
  void set_stripe_webhooks(StripeWebhookOptions options);

  // A process-unique id: a random prefix chosen at construction and a counter.
  [[nodiscard]] std::string next_request_id();

  // Returns the method as a metrics label: the known methods, or "other".
  [[nodiscard]] static std::string_view method_label(std::string_view method);

 private:
  void handle_tenant_route(const Endpoint& endpoint, const std::string& path_id,
                           std::string_view query, const HttpRequest& request,
                           const TokenClaims& claims, ResponseCallback done);
  void handle_metrics(const HttpRequest& request, ResponseCallback done);
  void handle_platform_lease_route(const Endpoint& endpoint, const std::string& path_id,
                                   const HttpRequest& request, const TokenClaims& claims,
                                   ResponseCallback done);
  void handle_stripe_webhook(const HttpRequest& request, ResponseCallback done);
  void submit(RequestContext context, domain::Command command, ResponseCallback done);
  void query(RequestContext context, Query query, ResponseCallback done);
  // Returns the verified claims, or the 401 response to send.
  [[nodiscard]] std::variant<TokenClaims, HttpResponse> authenticate(
      const HttpRequest& request) const;

  Backend& backend_;
  std::string key_;
  Clock now_;
  HttpMetrics& metrics_;
  std::string request_id_prefix_;
  std::atomic<std::uint64_t> request_counter_{0};
  std::shared_ptr<const StripeWebhookOptions> stripe_;  // null when Stripe webhooks are off
};

}  // namespace bulwark::gateway
